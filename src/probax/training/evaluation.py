"""`evaluate` and `predict`: Keras' `model.evaluate` / `model.predict` for NNX models.

Both run the model in inference mode (`nnx.Dropout` off, `nnx.BatchNorm` on its running
averages) as one compiled scan over batches of static shape, and write the model's
advanced RNG streams back, so a model that samples (variational layers) draws afresh on
each call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flax import nnx

from probax.training.batching import as_examples, check_batch_size, paired_examples
from probax.training.losses import nll
from probax.training.model_parts import make_objective, split_model
from probax.training.programs import evaluate_program, predict_program


def evaluate(
    model: nnx.Module,
    x,
    y,
    *,
    loss: Callable = nll,
    metrics: Sequence[Callable] | Mapping[str, Callable] | None = None,
    batch_size: int | None = None,
) -> dict[str, float]:
    """Mean loss (plus regularization terms) and metrics of the model on `(x, y)`.

    Args:
      model: a Flax NNX module.
      x: inputs, leading axis = examples.
      y: targets, leading axis = examples.
      loss: `loss(y_true, y_pred)` with one value per example; default `nll`.
      metrics: functions `(y_true, y_pred)` with one value per example, or a dict of them.
      batch_size: examples per batch; None evaluates all examples in one batch.

    Returns:
      `{"loss": ..., <metric name>: ...}`, each averaged over the examples.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> class Standard(nnx.Module):
      ...     def __call__(self, x):
      ...         return Normal(jnp.zeros_like(x[:, 0]), 1.0)
      >>> logs = evaluate(Standard(), jnp.zeros((4, 1)), jnp.zeros(4))
      >>> round(logs["loss"], 4)
      0.9189

    """
    caller = "evaluate"
    x, y = paired_examples(x, y, caller)
    parts = split_model(model, caller)
    objective = make_objective(loss, metrics, caller)
    batch_size = check_batch_size(batch_size, x.shape[0], caller)
    means, rest = evaluate_program(parts.eval_graph, objective, batch_size, parts.params, parts.rest, x, y)
    nnx.update(model, rest)
    return {name: float(value) for name, value in means.items()}


def predict(model: nnx.Module, x, batch_size: int | None = None):
    """The model's output on `x`, computed in batches and joined along the batch axis.

    For a distribution output, leaves (parameters) whose leading axis follows the batch are
    concatenated; leaves that do not depend on the batch size (a constant `scale=1.`) are
    taken from the first batch. A leaf that varies between batches without a batch axis
    cannot be joined: call the model directly for such outputs.

    Args:
      model: a Flax NNX module.
      x: inputs, leading axis = examples.
      batch_size: examples per batch; None runs all examples in one batch.

    Returns:
      What the model returns for all of `x` (a distribution with batch shape `[n, ...]`
      for a distribution head).

    Example:
      >>> from probax.distributions.normal import Normal
      >>> class Head(nnx.Module):
      ...     def __call__(self, x):
      ...         return Normal(loc=x[:, 0], scale=1.0)
      >>> dist = predict(Head(), jnp.arange(5.0)[:, None], batch_size=2)
      >>> dist.mean().tolist()
      [0.0, 1.0, 2.0, 3.0, 4.0]

    """
    x = as_examples(x, "x", "predict")
    parts = split_model(model, "predict")
    batch_size = check_batch_size(batch_size, x.shape[0], "predict")
    output, rest = predict_program(parts.eval_graph, batch_size, parts.params, parts.rest, x)
    nnx.update(model, rest)
    return output

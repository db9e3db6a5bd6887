"""`fit`: Keras' `model.fit` for Flax NNX models whose output is a distribution.

Each epoch shuffles the training examples (from `seed`), runs one compiled `lax.scan` over
minibatches (optimizer update inside, the last batch padded and masked) and, if there is
validation data, one over the validation batches. When nothing needs the host between
epochs (no callbacks, `verbose=0`) all epochs run as a single compiled call; otherwise one
compiled call per epoch, traced once and reused. Repeated `fit` calls with the same model
structure, loss, metrics, optimizer object, batch settings and data shapes reuse the
compiled program (another int `seed` included: it is an argument of the program). On CPU,
small runs (parameters x examples x epochs below 1e9) ask XLA for quick compilation, which
for them costs more time than the run itself: the seed-004 regression (200 epochs) compiles
as one program in about half a second of CPU time.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence

import jax
import numpy as np
from flax import nnx
from tqdm.auto import tqdm

from probax._internal.prng import as_key
from probax.training.batching import check_batch_size, paired_examples
from probax.training.callbacks import Callback, as_callbacks
from probax.training.history import History
from probax.training.losses import nll
from probax.training.model_parts import make_objective, split_model
from probax.training.optimizers import as_optimizer
from probax.training.programs import TrainSetup, TrainState, init_optimizer, train_program

_CALLER = "fit"


def _split_validation(x, y, validation_data, validation_split):
    if validation_data is not None and validation_split:
        raise ValueError(f"{_CALLER}: give validation_data or validation_split, not both.")
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise ValueError(f"{_CALLER}: validation_data must be a pair (x_val, y_val).")
        names = ("validation_data[0]", "validation_data[1]")
        return x, y, paired_examples(*validation_data, _CALLER, names)
    if not 0 <= validation_split < 1:
        raise ValueError(f"{_CALLER}: validation_split must lie in [0, 1), got {validation_split!r}.")
    if not validation_split:
        return x, y, None
    # As Keras: the last fraction of the examples, taken before any shuffling.
    split_at = math.floor(x.shape[0] * (1 - validation_split))
    if not 0 < split_at < x.shape[0]:
        raise ValueError(
            f"{_CALLER}: validation_split={validation_split} leaves no examples for training or validation "
            f"out of {x.shape[0]}."
        )
    return x[:split_at], y[:split_at], (x[split_at:], y[split_at:])


def _check_positive_int(value, name: str) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{_CALLER}: {name} must be a positive int, got {value!r}.")
    return int(value)


def _program_seed(seed):
    """A seed for the training program: an int in [0, 2**31) as an int32, other seeds as keys.

    The program turns the int32 into `jax.random.key(seed)` itself, which saves the compiled
    call that making the key here would cost (a tenth of a small `fit`).
    """
    if isinstance(seed, int | np.integer) and 0 <= seed < 2**31:
        return np.int32(seed)
    return as_key(seed, _CALLER)


def _epoch_logs(logs: Mapping[str, np.ndarray], index: int) -> tuple[dict[str, float], int]:
    values = {name: float(column[index]) for name, column in logs.items() if name != "first_bad_step"}
    return values, int(logs["first_bad_step"][index])


def fit(
    model: nnx.Module,
    x,
    y,
    *,
    loss: Callable = nll,
    optimizer="adam",
    epochs: int = 1,
    batch_size: int | None = 32,
    validation_data=None,
    validation_split: float = 0.0,
    shuffle: bool = True,
    seed=0,
    callbacks: Sequence[Callback | Callable] | None = None,
    metrics: Sequence[Callable] | Mapping[str, Callable] | None = None,
    verbose: int = 1,
) -> History:
    """Train an NNX model in place by minimizing `loss(y, model(x))` (Keras' `model.fit`).

    The loss of a batch is the mean over its examples of `loss(y_true, y_pred)` (which must
    return one value per example, like `nll`) plus the sum of the model's
    `RegularizationLoss` terms. The model is run in training mode (`nnx.Dropout` active);
    validation runs in inference mode. Its RNG streams advance inside the compiled loop.
    A step whose loss or gradient is not finite is not applied: training stops with a
    `RuntimeWarning` and the model keeps the parameters of the last good step.

    Args:
      model: a Flax NNX module mapping a batch of `x` to a distribution (or any output `loss` takes).
      x: inputs, leading axis = examples.
      y: targets, leading axis = examples.
      loss: `loss(y_true, y_pred)` with one value per example; default `nll`.
      optimizer: an optax transformation, or 'adam', 'adamw', 'rmsprop', 'sgd' (Keras' defaults).
        Its state starts afresh at each `fit` call.
      epochs: number of passes over the training data.
      batch_size: examples per step (capped at the number of examples); None: one full batch.
        The last batch of an epoch may be smaller: it is padded and masked.
      validation_data: `(x_val, y_val)` evaluated after each epoch (`val_loss`, `val_<metric>`).
      validation_split: fraction of the examples, taken from the end before shuffling, held
        out for validation instead.
      shuffle: visit the training examples in a new random order each epoch.
      seed: `jax.random` key or int for the shuffling (the model's own randomness comes from
        its `nnx.Rngs`); an int gives the same shuffles as `jax.random.key(seed)`.
      callbacks: `Callback` objects (e.g. `EarlyStopping`) or functions `f(epoch, logs)`
        returning True to stop.
      metrics: functions `(y_true, y_pred)` with one value per example, logged per epoch
        under their `__name__` (or the keys of a dict).
      verbose: 1 shows a progress bar over epochs with the latest logs, 0 is silent.

    Returns:
      A `History` whose `history` dict holds one value per epoch for each log.

    Example:
      >>> import optax
      >>> from probax.distributions.normal import Normal
      >>> class Regression(nnx.Module):
      ...     def __init__(self, rngs):
      ...         self.linear = nnx.Linear(1, 2, rngs=rngs)
      ...     def __call__(self, x):
      ...         loc, scale = jnp.split(self.linear(x), 2, axis=-1)
      ...         return Normal(loc, jax.nn.softplus(scale))
      >>> x = jnp.linspace(-1, 1, 64)[:, None]
      >>> y = 2 * x + 0.1 * jax.random.normal(jax.random.key(1), x.shape)
      >>> model = Regression(nnx.Rngs(0))
      >>> history = fit(model, x, y, optimizer=optax.adam(0.05), epochs=30, verbose=0)
      >>> history.history["loss"][-1] < history.history["loss"][0]
      True

    """
    x, y = paired_examples(x, y, _CALLER)
    epochs = _check_positive_int(epochs, "epochs")
    x, y, validation = _split_validation(x, y, validation_data, validation_split)
    parts = split_model(model, _CALLER)
    batch_size = check_batch_size(batch_size, x.shape[0], _CALLER)
    setup = TrainSetup(
        train_graph=parts.train_graph,
        eval_graph=parts.eval_graph,
        objective=make_objective(loss, metrics, _CALLER),
        optimizer=as_optimizer(optimizer, _CALLER),
        batch_size=batch_size,
        shuffle=bool(shuffle),
    )
    hooks = as_callbacks(callbacks)
    seed = _program_seed(seed)
    chunk = 1 if hooks or verbose else epochs
    # One call for all epochs starts the optimizer inside its program; one call per epoch
    # carries the optimizer state from call to call, so it is started once, here.
    opt_state = None if chunk == epochs else init_optimizer(setup.optimizer, parts.params)
    state = TrainState(parts.params, parts.rest, opt_state, np.bool_(True))
    history = History(
        params={"epochs": epochs, "steps": math.ceil(x.shape[0] / batch_size), "batch_size": batch_size,
                "verbose": verbose}
    )
    num_params = sum(leaf.size for leaf in jax.tree.leaves(parts.params))
    train_epochs = train_program(num_params, x.shape[0], epochs)
    for hook in hooks:
        hook.on_train_begin(model)
    with tqdm(total=epochs, unit="epoch", disable=not verbose, leave=True) as bar:
        for start in range(0, epochs, chunk):
            state, logs = train_epochs(setup, chunk, state, seed, start, x, y, validation)
            nnx.update(model, state.params, state.rest)
            logs = jax.device_get(logs)
            for offset in range(len(logs["loss"])):
                epoch = start + offset
                epoch_logs, bad_step = _epoch_logs(logs, offset)
                history.append(epoch, epoch_logs)
                bar.set_postfix({name: f"{value:.4g}" for name, value in epoch_logs.items()}, refresh=False)
                bar.update(1)
                if bad_step >= 0:
                    history.stop_reason = "non_finite_loss"
                    warnings.warn(
                        f"fit: the loss or its gradient was not finite at epoch {epoch}, batch {bad_step}; "
                        "training stopped and the model keeps the parameters of the last finite step.",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    break
                # Evaluate every hook (no short-circuit): each sees every epoch.
                if any([bool(hook.on_epoch_end(epoch, epoch_logs)) for hook in hooks]):
                    history.stop_reason = "callback"
                    break
            if history.stop_reason is not None:
                break
    for hook in hooks:
        hook.on_train_end(model)
    return history

"""The compiled programs behind `fit`, `evaluate` and `predict`.

The model is split once into a graph definition (static: it keys the compilation cache)
and its state: the trainable `nnx.Param`s and the rest (RNG stream counters, batch
statistics, `RegularizationLoss` terms). Each program merges them back inside the trace,
runs the forward pass and splits the state again, so RNG streams advance from step to step
inside the compiled loop. A run of epochs is one `lax.scan` over epochs, each a `lax.scan`
over minibatches followed by the validation pass: one dispatch per call however many
epochs it covers. Everything a run needs is made inside that one program (the key from an
int seed, the optimizer's initial state, each epoch's order), because on CPU each extra
compiled call costs about as much as a small run.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from probax.training.batching import masked_sum, padded_batches, per_example
from probax.training.losses import regularization_loss


@dataclasses.dataclass(frozen=True)
class Objective:
    """The loss and named metrics: functions of `(y_true, y_pred)` with one value per example."""

    loss: Callable
    metrics: tuple[tuple[str, Callable], ...] = ()

    def batch_terms(self, output, y, mask, regularization) -> tuple[jax.Array, dict[str, jax.Array]]:
        """The batch objective (masked mean loss + regularization) and the batch's sums to log."""
        batch_size = mask.shape[0]
        count = jnp.sum(mask)
        losses = per_example(self.loss(y, output), batch_size, "loss")
        objective = masked_sum(losses, mask) / count + regularization
        sums = {"loss": objective * count}
        for name, metric in self.metrics:
            sums[name] = masked_sum(per_example(metric(y, output), batch_size, f"metric {name!r}"), mask)
        return objective, sums


def forward(graph: nnx.GraphDef, params, rest, x) -> tuple[Any, jax.Array, Any]:
    """Run the model on `x`: its output, its regularization terms and its updated non-parameter state."""
    # Fresh Variables at this trace level, so the forward pass may update them (RNG counters).
    model = nnx.merge(graph, params, rest, copy=True)
    output = model(x)
    _, _, new_rest = nnx.split(model, nnx.Param, ...)
    if jax.tree.structure(new_rest) != jax.tree.structure(rest):
        raise ValueError(
            "The model's forward pass changed the structure of its state (a Variable was created or "
            "removed inside __call__). Create every Variable, including RegularizationLoss terms, in "
            "__init__ and only assign its value in __call__."
        )
    return output, regularization_loss(model), new_rest


def evaluation_means(graph, objective: Objective, batch_size: int, params, rest, x, y):
    """Loss and metrics averaged over all examples of `(x, y)`, and the updated state `rest`."""
    num_examples = x.shape[0]
    indices, mask = padded_batches(jnp.arange(num_examples), min(batch_size, num_examples))

    def batch(rest, block):
        rows, valid = block
        output, regularization, rest = forward(graph, params, rest, x[rows])
        _, sums = objective.batch_terms(output, y[rows], valid, regularization)
        return rest, sums

    rest, sums = jax.lax.scan(batch, rest, (indices, mask))
    return {name: jnp.sum(values) / num_examples for name, values in sums.items()}, rest


evaluate_program = jax.jit(evaluation_means, static_argnums=(0, 1, 2))


class TrainState(NamedTuple):
    """What the training loop carries: parameters, other state, optimizer state, health flag."""

    params: Any
    rest: Any
    opt_state: Any
    healthy: jax.Array


@dataclasses.dataclass(frozen=True)
class TrainSetup:
    """The static part of a training run (hashable: it keys the compilation cache)."""

    train_graph: nnx.GraphDef
    eval_graph: nnx.GraphDef
    objective: Objective
    optimizer: optax.GradientTransformation
    batch_size: int
    shuffle: bool


def _train_step(setup: TrainSetup, x, y, state: TrainState, block) -> tuple[TrainState, tuple]:
    rows, valid = block
    x_batch, y_batch = x[rows], y[rows]

    def objective(params):
        output, regularization, rest = forward(setup.train_graph, params, state.rest, x_batch)
        value, sums = setup.objective.batch_terms(output, y_batch, valid, regularization)
        return value, (sums, rest)

    (value, (sums, rest)), grads = jax.value_and_grad(objective, has_aux=True)(state.params)
    updates, opt_state = setup.optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    healthy = state.healthy & jnp.isfinite(value) & jnp.isfinite(optax.tree.norm(grads))
    # A non-finite step is not applied: the state stays at the last good step.
    kept = jax.lax.cond(
        healthy, lambda: (params, rest, opt_state), lambda: (state.params, state.rest, state.opt_state)
    )
    return TrainState(*kept, healthy), (sums, healthy)


def epoch_order(key, epoch, num_examples: int) -> jax.Array:
    """The order in which epoch `epoch` visits the examples: a random permutation from `fold_in(key, epoch)`.

    Example:
      >>> first, second = (epoch_order(jax.random.key(0), epoch, 6) for epoch in (0, 1))
      >>> sorted(first.tolist()) == sorted(second.tolist()) == list(range(6))
      True
      >>> first.tolist() != second.tolist()
      True

    """
    return jax.random.permutation(jax.random.fold_in(key, epoch), num_examples)


def _train_epochs(setup: TrainSetup, num_epochs: int, state: TrainState, seed, first_epoch, x, y, validation):
    """Run `num_epochs` epochs from `first_epoch`; return the final state and the stacked per-epoch logs.

    `seed` is a key, or an int32 scalar from which `jax.random.key` makes one here (inside
    the program rather than as a compiled call of its own). Epoch `e` visits the examples in
    `epoch_order(key, e)`. A state whose `opt_state` is None starts the optimizer here. Logs hold
    `loss`, the metrics, `val_*` when `validation` is an `(x, y)` pair, and `first_bad_step`:
    -1, or the index within the epoch of the first non-finite step.
    """
    key = jax.random.key(seed) if jnp.result_type(seed) == jnp.int32 else seed
    if state.opt_state is None:
        state = state._replace(opt_state=setup.optimizer.init(state.params))
    num_examples = x.shape[0]
    step = functools.partial(_train_step, setup, x, y)

    def epoch(state, index):
        order = epoch_order(key, index, num_examples) if setup.shuffle else jnp.arange(num_examples)
        state, (sums, healthy) = jax.lax.scan(step, state, padded_batches(order, setup.batch_size))
        logs = {name: jnp.sum(values) / num_examples for name, values in sums.items()}
        logs["first_bad_step"] = jnp.where(jnp.all(healthy), -1, jnp.sum(healthy))
        if validation is not None:
            means, rest = evaluation_means(
                setup.eval_graph, setup.objective, setup.batch_size, state.params, state.rest, *validation
            )
            state = state._replace(rest=rest)
            logs.update({f"val_{name}": value for name, value in means.items()})
        return state, logs

    return jax.lax.scan(epoch, state, first_epoch + jnp.arange(num_epochs))


@functools.partial(jax.jit, static_argnums=0)
def init_optimizer(optimizer: optax.GradientTransformation, params):
    """The optimizer's initial state, as one compiled call (not one eager call per leaf)."""
    return optimizer.init(params)


# XLA's quick CPU compilation (no LLVM optimization, legacy emitters): measured on the
# 200-epoch seed-004 regression, compilation 2.5-3x faster at the same run time; on an MDN
# epoch of 20k rows, compilation 3x faster but the run 2.5x slower. So it is used for runs
# whose work (parameters x examples x epochs) is small enough that compiling dominates.
# Code generation in one piece rather than XLA's default split into parallel parts: a tiny
# program's parts cost more to set up than they save (compilation 1.6x faster on seed 004).
_QUICK_COMPILE = {
    "xla_backend_optimization_level": 0,
    "xla_llvm_disable_expensive_passes": True,
    "xla_cpu_use_fusion_emitters": False,
    "xla_cpu_parallel_codegen_split_count": 1,
}
_SMALL_RUN = 1e9
_train_epochs_optimized = jax.jit(_train_epochs, static_argnums=(0, 1))
_train_epochs_quick = jax.jit(_train_epochs, static_argnums=(0, 1), compiler_options=_QUICK_COMPILE)


def train_program(num_params: int, num_examples: int, epochs: int) -> Callable:
    """The compiled epochs runner for a run of this size: quick compilation for small CPU runs."""
    small = num_params * num_examples * epochs < _SMALL_RUN
    return _train_epochs_quick if small and jax.default_backend() == "cpu" else _train_epochs_optimized


def _batched_leaves(graph, params, rest, x, batch_size: int) -> list[bool]:
    """Which output leaves carry the batch axis first (their leading size follows the batch's)."""

    def output_shapes(rows):
        example = jax.ShapeDtypeStruct((rows, *x.shape[1:]), x.dtype)
        return jax.tree.leaves(jax.eval_shape(lambda xs: forward(graph, params, rest, xs)[0], example))

    return [
        a.ndim > 0 and b.ndim > 0 and (a.shape[0], b.shape[0]) == (batch_size, batch_size + 1)
        for a, b in zip(output_shapes(batch_size), output_shapes(batch_size + 1), strict=True)
    ]


@functools.partial(jax.jit, static_argnums=(0, 1))
def predict_program(graph, batch_size: int, params, rest, x):
    """The model's output on all rows of `x`, computed in batches and joined along the batch axis."""
    num_examples = x.shape[0]
    indices, _ = padded_batches(jnp.arange(num_examples), batch_size)

    def batch(rest, rows):
        output, _, rest = forward(graph, params, rest, x[rows])
        return rest, output

    new_rest, outputs = jax.lax.scan(batch, rest, indices)
    leaves, treedef = jax.tree.flatten(outputs)
    joined = [
        leaf.reshape(-1, *leaf.shape[2:])[:num_examples] if batched else leaf[0]
        for leaf, batched in zip(leaves, _batched_leaves(graph, params, rest, x, batch_size), strict=True)
    ]
    return jax.tree.unflatten(treedef, joined), new_rest

"""Differential evolution with TFP's signature: `differential_evolution_minimize` and `..._one_step`.

optax has no population methods, so all of it is written here. The scheme is
DE/rand/1/bin (Storn and Price 1997): for each member `x_i` three other
distinct members `a, b, c` are drawn, the mutant `a + F (b - c)` is crossed
with `x_i` coordinate by coordinate with probability `crossover_prob` (one
random coordinate always crosses), and the trial replaces `x_i` if its
objective is lower. A state may be one array or a list of arrays (TFP's
multi-part state); the objective takes the parts as positional arguments, each
with the population on its first axis, and returns one value per member.

Randomness comes only from `seed` (a `jax.random` key or an int): generation
k draws from the seed's key folded with k, one call of random bits for the
whole population.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.optimizer.results import DifferentialEvolutionOptimizerResults

_CALLER = "differential_evolution_minimize"

Objective = Callable[..., jax.Array]


def _as_parts(value, argument: str) -> tuple[list[jax.Array], bool]:
    """The state as a list of floating arrays, and whether the user gave a list."""
    was_list = isinstance(value, list | tuple)
    parts = [jnp.asarray(part) for part in (value if was_list else [value])]
    if not parts:
        raise ValueError(f"{_CALLER}: {argument} must hold at least one array, got an empty sequence.")
    parts = [p if jnp.issubdtype(p.dtype, jnp.floating) else p.astype(jnp.result_type(float)) for p in parts]
    return parts, was_list


def _ascending(values: list[jax.Array]) -> list[jax.Array]:
    """Sort up to three integer arrays elementwise (a min/max network; cheaper than `jnp.sort`)."""
    if len(values) == 1:
        return values
    if len(values) == 2:
        return [jnp.minimum(*values), jnp.maximum(*values)]
    low = jnp.minimum(jnp.minimum(values[0], values[1]), values[2])
    high = jnp.maximum(jnp.maximum(values[0], values[1]), values[2])
    return [low, values[0] + values[1] + values[2] - low - high, high]


def _distinct_others(ranks: jax.Array) -> jax.Array:
    """Map ranks `[P, 3]` (column k uniform on `0 .. P-2-k`) to three distinct members other than i.

    Column k picks among the `P - 1 - k` members not yet excluded (the row's own index and the
    earlier picks) by stepping over the excluded indices in increasing order; the map from rank
    triples to ordered triples of distinct other members is a bijection, so uniform ranks give
    uniform triples.
    """
    excluded = [jnp.arange(ranks.shape[0])]
    for k in range(3):
        index = ranks[:, k]
        for taken in _ascending(excluded):
            index = jnp.where(index >= taken, index + 1, index)
        excluded.append(index)
    return jnp.stack(excluded[1:], axis=1)


def _flatten_members(parts: Sequence[jax.Array]) -> jax.Array:
    return jnp.concatenate([p.reshape(p.shape[0], -1) for p in parts], axis=1)


def _unflatten_members(flat: jax.Array, like: Sequence[jax.Array]) -> list[jax.Array]:
    sizes = [p[0].size for p in like]
    offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    return [flat[:, offsets[i] : offsets[i + 1]].reshape(p.shape) for i, p in enumerate(like)]


def _evaluate(objective_function: Objective, parts: Sequence[jax.Array]) -> jax.Array:
    values = jnp.asarray(objective_function(*parts))
    # TFP's rule: a NaN member is never better than a trial.
    return jnp.where(jnp.isnan(values), jnp.inf, values)


def _evolve(objective_function, parts, values, differential_weight, crossover_prob, key):
    population_size = parts[0].shape[0]
    flat = _flatten_members(parts)
    num_coordinates = flat.shape[1]
    # One draw of random bits per generation gives each member its three mixing ranks, its
    # forced crossover coordinate and its crossover coins: one random-number call keeps the
    # compiled loop small. Reducing 32 bits modulo m (m <= P or the state size) biases an
    # index by at most m / 2^32 relative, far below anything the search can notice.
    bits = jax.random.bits(key, (population_size, 4 + num_coordinates), jnp.uint32)
    limits = jnp.array(
        [population_size - 1, population_size - 2, population_size - 3, num_coordinates], jnp.uint32
    )
    draws = (bits[:, :4] % limits[None]).astype(jnp.int32)
    others = _distinct_others(draws[:, :3])
    mutants = flat[others[:, 0]] + differential_weight * (flat[others[:, 1]] - flat[others[:, 2]])
    # Coins uniform on [0, 1) at 24-bit resolution, exact in float32.
    coins = (bits[:, 4:] >> 8).astype(jnp.float32) * 2.0**-24
    crossed = coins < crossover_prob.astype(jnp.float32)
    crossed = crossed | (jnp.arange(num_coordinates)[None] == draws[:, 3:])
    trials = _unflatten_members(jnp.where(crossed, mutants, flat), parts)
    trial_values = _evaluate(objective_function, trials)
    better = trial_values < values
    next_parts = [
        jnp.where(better.reshape((-1,) + (1,) * (p.ndim - 1)), t, p)
        for t, p in zip(trials, parts, strict=True)
    ]
    return next_parts, jnp.where(better, trial_values, values)


def differential_evolution_one_step(
    objective_function: Objective,
    population,
    population_values=None,
    differential_weight=0.5,
    crossover_prob=0.9,
    seed=None,
    name: str | None = None,
):
    """One generation of DE/rand/1/bin (TFP's `tfp.optimizer.differential_evolution_one_step`).

    Args:
      objective_function: maps the population's parts (population on the first
        axis) to one value per member.
      population: an array `[P, ...]` or a list of such arrays, `P >= 4`.
      population_values: the objective at `population` `[P]`, if known.
      differential_weight: the mutation scale `F`, in (0, 2).
      crossover_prob: the per-coordinate crossover probability, in [0, 1].
      seed: a `jax.random` key or an int.
      name: accepted for TFP compatibility; ignored.

    Returns:
      `(next_population, next_population_values)`, the population with the
      structure of `population`.

    Example:
      >>> import jax.numpy as jnp
      >>> f = lambda x: jnp.sum(x**2, axis=-1)
      >>> pop = jnp.arange(12.0).reshape(6, 2)
      >>> nxt, vals = differential_evolution_one_step(f, pop, seed=0)
      >>> bool(jnp.all(vals <= f(pop)))
      True

    """
    del name
    caller = "differential_evolution_one_step"
    key = as_key(seed, caller)
    parts, was_list = _as_parts(population, "population")
    _check_population(parts, "population", caller)
    if population_values is None:
        values = _evaluate(objective_function, parts)
    else:
        values = jnp.asarray(population_values)
        values = jnp.where(jnp.isnan(values), jnp.inf, values)
    dtype = parts[0].dtype
    next_parts, next_values = _evolve(
        objective_function,
        parts,
        values,
        jnp.asarray(differential_weight, dtype),
        jnp.asarray(crossover_prob, dtype),
        key,
    )
    return (next_parts if was_list else next_parts[0]), next_values


def _check_population(parts: Sequence[jax.Array], argument: str, caller: str = _CALLER) -> None:
    sizes = {p.shape[0] if p.ndim else None for p in parts}
    if None in sizes or len(sizes) != 1:
        raise ValueError(
            f"{caller}: every array of {argument} must have rank >= 1 and a common first (population) "
            f"axis, got shapes {[p.shape for p in parts]}."
        )
    if sizes.pop() < 4:
        raise ValueError(
            f"{caller}: {argument} must have at least 4 members (DE draws three others per member), "
            f"got shapes {[p.shape for p in parts]}."
        )


def _has_converged(parts, values, func_tolerance, position_tolerance) -> jax.Array:
    value_converged = jnp.abs(jnp.max(values) - jnp.min(values)) <= func_tolerance
    # Distance to the first member bounds every pairwise distance by the triangle inequality.
    position_converged = jnp.all(
        jnp.stack([jnp.max(jnp.abs(p - p[:1])) <= position_tolerance / 2 for p in parts])
    )
    return value_converged | position_converged


def differential_evolution_minimize(
    objective_function: Objective,
    initial_population=None,
    initial_position=None,
    population_size: int = 50,
    population_stddev=1.0,
    max_iterations=100,
    func_tolerance=0,
    position_tolerance=1e-8,
    differential_weight=0.5,
    crossover_prob=0.9,
    seed=None,
    name: str | None = None,
) -> DifferentialEvolutionOptimizerResults:
    """Minimize a function by differential evolution (TFP's `tfp.optimizer.differential_evolution_minimize`).

    A global, derivative-free search. Give an `initial_population`, or an
    `initial_position` around which `population_size - 1` members are drawn
    from a normal with `population_stddev` (the position itself is the first
    member). Jittable: one `lax.while_loop`.

    Args:
      objective_function: maps the population's parts (each with the population
        on its first axis) to one value per member, shape `[P]`.
      initial_population: an array `[P, ...]` or a list of them, `P >= 4`.
      initial_position: an array (any shape) or a list of them: one member.
      population_size: `P` when starting from `initial_position`.
      population_stddev: the spread of the population drawn around `initial_position`.
      max_iterations: the most generations.
      func_tolerance: stop when the objective's spread over the population is at most this.
      position_tolerance: stop when all members lie within this of each other.
      differential_weight: the mutation scale `F`, in (0, 2).
      crossover_prob: the per-coordinate crossover probability, in [0, 1].
      seed: a `jax.random` key or an int (required).
      name: accepted for TFP compatibility; ignored.

    Returns:
      A `DifferentialEvolutionOptimizerResults`; `position` and the populations
      have the structure (array or list) of the input.

    Raises:
      ValueError: when neither or both of `initial_population` and
        `initial_position` are given, the population has fewer than 4 members or
        mismatched parts, or `seed` is missing.

    Example:
      >>> import jax.numpy as jnp
      >>> f = lambda x: jnp.sum((x - 1.0) ** 2, axis=-1)
      >>> res = differential_evolution_minimize(f, initial_position=jnp.zeros(2), seed=0, max_iterations=200)
      >>> [round(v, 4) for v in res.position.tolist()]
      [1.0, 1.0]

    """
    del name
    if (initial_population is None) == (initial_position is None):
        raise ValueError(
            f"{_CALLER}: give exactly one of initial_population and initial_position, got "
            f"{'both' if initial_population is not None else 'neither'}."
        )
    key = as_key(seed, _CALLER)
    population_key, key = jax.random.split(key)
    if initial_population is not None:
        parts, was_list = _as_parts(initial_population, "initial_population")
        _check_population(parts, "initial_population")
    else:
        try:
            size = operator.index(population_size)
        except TypeError:
            size = 0
        if size < 4:
            raise ValueError(f"{_CALLER}: population_size must be an int >= 4, got {population_size!r}.")
        population_size = size
        position, was_list = _as_parts(initial_position, "initial_position")
        keys = jax.random.split(population_key, len(position))
        parts = [
            jnp.concatenate(
                [
                    p[None],
                    p[None]
                    + jnp.asarray(population_stddev, p.dtype)
                    * threefry.normal(k, (population_size - 1, *p.shape), p.dtype),
                ]
            )
            for p, k in zip(position, keys, strict=True)
        ]
    dtype = parts[0].dtype
    population_size = parts[0].shape[0]
    values = _evaluate(objective_function, parts)
    if values.shape != (population_size,):
        raise ValueError(
            f"{_CALLER}: objective_function must return one value per member, shape [{population_size}], "
            f"got {values.shape}."
        )
    weight = jnp.asarray(differential_weight, dtype)
    crossover = jnp.asarray(crossover_prob, dtype)
    func_tolerance = jnp.asarray(func_tolerance, values.dtype)
    position_tolerance = jnp.asarray(position_tolerance, dtype)

    def failed_on(current_values):
        return jnp.all(jnp.isinf(current_values))

    def keep_going(carry):
        converged, failed, iterations, *_ = carry
        return ~converged & ~failed & (iterations < max_iterations)

    def body(carry):
        _, _, iterations, current, current_values, generation_key = carry
        step_key = jax.random.fold_in(generation_key, iterations)
        current, current_values = _evolve(
            objective_function, current, current_values, weight, crossover, step_key
        )
        converged = _has_converged(current, current_values, func_tolerance, position_tolerance)
        return converged, failed_on(current_values), iterations + 1, current, current_values, generation_key

    start = (
        _has_converged(parts, values, func_tolerance, position_tolerance),
        failed_on(values),
        jnp.asarray(0, jnp.int32),
        parts,
        values,
        key,
    )
    converged, failed, iterations, final_parts, final_values, _ = jax.lax.while_loop(keep_going, body, start)
    best = jnp.argmin(final_values)
    best_parts = [p[best] for p in final_parts]

    def structured(value):
        return value if was_list else value[0]

    return DifferentialEvolutionOptimizerResults(
        converged=converged,
        failed=failed,
        position=structured(best_parts),
        objective_value=final_values[best],
        final_population=structured(final_parts),
        final_objective_values=final_values,
        initial_population=structured(parts),
        initial_objective_values=values,
        num_iterations=iterations,
        num_objective_evaluations=population_size * (iterations + 1),
    )

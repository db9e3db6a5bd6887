import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import optimizer
from probax.optimizer.differential_evolution import _distinct_others


def rastrigin(x):
    return 10.0 * x.shape[-1] + jnp.sum(x**2 - 10.0 * jnp.cos(2 * jnp.pi * x), axis=-1)


def ackley(x):
    n = x.shape[-1]
    radius = jnp.sqrt(jnp.sum(x**2, axis=-1) / n)
    waves = jnp.sum(jnp.cos(2 * jnp.pi * x), axis=-1) / n
    return -20.0 * jnp.exp(-0.2 * radius) - jnp.exp(waves) + 20.0 + jnp.e


def test_finds_the_global_minimum_of_multimodal_functions():
    # Rastrigin (a local minimum near each integer lattice point) and Ackley both have their
    # global minimum 0 at the origin; the start sits among local minima away from it. Run
    # under vmap, one member per function (chosen by a flag, so one compilation serves both).
    def run(seed, use_ackley):
        return optimizer.differential_evolution_minimize(
            lambda x: jnp.where(use_ackley, ackley(x), rastrigin(x)),
            initial_position=jnp.array([3.2, -2.1]),
            population_stddev=3.0,
            max_iterations=300,
            seed=seed,
        )

    results = jax.jit(jax.vmap(run))(jax.random.split(jax.random.key(42), 2), jnp.array([False, True]))
    assert isinstance(results, optimizer.DifferentialEvolutionOptimizerResults)
    assert bool(np.all(results.converged)) and not bool(np.any(results.failed))
    # Converged means every member is within position_tolerance (1e-8) of the others, and the
    # best has the lowest value: far below the nearest local minimum (about 1 for both).
    np.testing.assert_allclose(results.position, 0.0, rtol=0, atol=1e-7)
    assert float(np.max(results.objective_value)) < 1e-6
    assert results.final_population.shape == (2, 50, 2)
    np.testing.assert_array_equal(results.initial_population[:, 0], [[3.2, -2.1]] * 2)
    np.testing.assert_array_equal(results.num_objective_evaluations, 50 * (results.num_iterations + 1))
    # Selection never loses the best member.
    assert np.all(np.asarray(results.objective_value) <= np.min(results.initial_objective_values, axis=-1))


def test_multi_part_state_keeps_its_structure():
    def objective(scalar, vector):
        return (scalar - 1.0) ** 2 + jnp.sum((vector - jnp.array([[-2.0, 0.5]])) ** 2, axis=-1)

    results = jax.jit(
        lambda seed: optimizer.differential_evolution_minimize(
            objective, initial_position=[jnp.array(0.0), jnp.zeros(2)], max_iterations=300, seed=seed
        )
    )(jax.random.key(1))
    assert isinstance(results.position, list) and len(results.position) == 2
    assert [p.shape for p in results.final_population] == [(50,), (50, 2)]
    np.testing.assert_allclose(results.position[0], 1.0, atol=1e-6)
    np.testing.assert_allclose(results.position[1], [-2.0, 0.5], atol=1e-6)


def test_one_step_never_makes_a_member_worse_and_the_seed_fixes_it():
    population = jnp.asarray(np.random.default_rng(3).uniform(-4, 4, size=(10, 2)))
    values = np.asarray(rastrigin(population))
    step = jax.jit(
        lambda seed: optimizer.differential_evolution_one_step(rastrigin, population, seed=seed)
    )
    next_population, next_values = map(np.asarray, step(7))
    assert next_population.shape == population.shape
    assert bool(np.all(next_values <= values)) and bool(np.any(next_values < values))
    np.testing.assert_allclose(next_values, rastrigin(next_population), rtol=1e-12)
    np.testing.assert_array_equal(step(7)[0], next_population)
    assert not np.array_equal(step(8)[0], next_population)


def test_mixing_ranks_map_one_to_one_onto_triples_of_distinct_other_members():
    # Every rank triple (uniform draws) must give a different ordered triple of distinct members
    # other than the row's own: then uniform ranks give uniform triples.
    population_size = 6
    ranks = np.array(list(itertools.product(range(5), range(4), range(3))))  # 60 = 5 * 4 * 3
    # Row i of each draw is member i; every member gets every rank triple once.
    every_draw = np.broadcast_to(ranks[:, None, :], (60, population_size, 3))
    triples = np.asarray(jax.jit(jax.vmap(_distinct_others))(jnp.asarray(every_draw)))
    member = np.arange(population_size)[None, :, None]
    assert triples.min() >= 0 and triples.max() < population_size
    assert not np.any(triples == member)
    for i in range(population_size):
        seen = {tuple(t) for t in triples[:, i, :]}
        assert len(seen) == 60 and all(len(set(t)) == 3 for t in seen)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": 0}, "neither"),
        ({"initial_position": jnp.zeros(2), "initial_population": jnp.zeros((5, 2)), "seed": 0}, "both"),
        ({"initial_population": jnp.zeros((3, 2)), "seed": 0}, "at least 4"),
        ({"initial_population": [jnp.zeros((5, 2)), jnp.zeros(4)], "seed": 0}, "common first"),
        ({"initial_position": jnp.zeros(2), "population_size": 3, "seed": 0}, "population_size"),
        ({"initial_position": jnp.zeros(2)}, "seed"),
    ],
    ids=["neither", "both", "too_small", "mismatched_parts", "small_size", "no_seed"],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizer.differential_evolution_minimize(rastrigin, **kwargs)

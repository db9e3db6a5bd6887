import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from scipy import stats

from probax.training.fit import fit
from probax.training.losses import nll
from probax.training.programs import epoch_order
from tests.training.models import LinearNormal

X = np.linspace(-1, 1, 30)[:, None]
Y = X + 0.3 * np.random.default_rng(0).standard_normal(X.shape)


def test_epoch_order_is_a_uniformly_random_permutation():
    num_examples, num_epochs = 5, 4000
    orders = np.asarray(jax.jit(jax.vmap(lambda e: epoch_order(jax.random.key(0), e, num_examples)))(
        jnp.arange(num_epochs)))
    np.testing.assert_array_equal(np.sort(orders, axis=1), np.tile(np.arange(num_examples), (num_epochs, 1)))
    # Every example equally likely at every position.
    counts = np.stack([np.bincount(orders[:, position], minlength=num_examples)
                       for position in range(num_examples)])
    assert stats.chisquare(counts.ravel()).pvalue > 1e-3
    # Consecutive epochs are unrelated: mean Kendall tau near 0 (its sd over 4000 pairs is ~0.008).
    taus = [stats.kendalltau(orders[e], orders[e + 1]).statistic for e in range(num_epochs - 1)]
    assert abs(np.mean(taus)) < 0.04
    # Another key (typed or legacy) gives another order; the same key data gives the same one.
    order = epoch_order(jax.random.key(0), 0, 20)
    assert order.tolist() != epoch_order(jax.random.key(1), 0, 20).tolist()
    assert order.tolist() == epoch_order(jax.random.PRNGKey(0), 0, 20).tolist()


ADAM = optax.adam(0.05)  # one object: fit calls with it share compiled programs


def _fit(model, **kwargs):
    settings = dict(optimizer=ADAM, epochs=3, batch_size=8, verbose=0) | kwargs
    return fit(model, X, Y, **settings)


def test_one_program_for_all_epochs_matches_one_call_per_epoch():
    # verbose=0 without callbacks: one compiled call (optimizer started inside it);
    # with a callback: one call per epoch. Same seed, same shuffles, same steps.
    together, apart = LinearNormal(nnx.Rngs(4)), LinearNormal(nnx.Rngs(4))
    history_together = _fit(together)
    history_apart = _fit(apart, callbacks=[lambda epoch, logs: None])
    np.testing.assert_allclose(history_together.history["loss"], history_apart.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(together.linear.kernel[...], apart.linear.kernel[...], rtol=1e-12)


def test_int_and_key_seeds_agree_and_a_new_seed_does_not_recompile():
    traces = []

    def counting_nll(y, dist):
        traces.append(1)
        return nll(y, dist)

    kernels = []
    for seed in (5, jax.random.key(5), jax.random.PRNGKey(5), 6):
        model = LinearNormal(nnx.Rngs(0))
        _fit(model, loss=counting_nll, seed=seed)
        kernels.append(np.asarray(model.linear.kernel[...]))
    np.testing.assert_array_equal(kernels[0], kernels[1])
    np.testing.assert_array_equal(kernels[0], kernels[2])
    assert not np.array_equal(kernels[0], kernels[3])  # another shuffle
    # An int seed is an argument of the program: seed 6 reused seed 5's program.
    # (Typed and legacy keys are other argument types: one trace each.)
    assert len(traces) == 3

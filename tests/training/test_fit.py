import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from probax.distributions.normal import Normal
from probax.training.callbacks import EarlyStopping
from probax.training.evaluation import evaluate
from probax.training.fit import fit
from probax.training.losses import RegularizationLoss, nll
from tests.training.models import LinearNormal, Location

X = np.linspace(-1, 1, 60)[:, None]
Y = X + 0.3 * np.random.default_rng(0).standard_normal(X.shape)
CONSTANT_X = np.ones((1, 1))


def test_fit_recovers_the_maximum_likelihood_line():
    model = LinearNormal(nnx.Rngs(0))
    history = fit(model, X, Y, optimizer=optax.adam(0.05), epochs=150, batch_size=None, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 150 and history.epoch == list(range(150))
    assert losses[-1] < losses[0] - 0.5
    # Maximum likelihood of a Gaussian linear model: least squares, and scale**2 = RSS / n.
    design = np.hstack([X, np.ones_like(X)])
    coefficients, rss, *_ = np.linalg.lstsq(design, Y, rcond=None)
    np.testing.assert_allclose(model.linear.kernel[...][0, 0], coefficients[0, 0], atol=2e-3)
    np.testing.assert_allclose(model.linear.bias[...][0], coefficients[1, 0], atol=2e-3)
    np.testing.assert_allclose(jax.nn.softplus(model.raw_scale[...]), np.sqrt(rss[0] / len(X)), atol=2e-3)


def test_logs_match_evaluate_and_every_example_counts():
    def absolute_error(y, dist):
        return jnp.abs(y - dist.mean())

    model = LinearNormal(nnx.Rngs(1))
    history = fit(model, X, Y, optimizer=optax.adam(0.01), epochs=3, batch_size=7, validation_split=0.25,
                  metrics=[absolute_error], seed=3, verbose=0)
    assert set(history.history) == {"loss", "absolute_error", "val_loss", "val_absolute_error"}
    assert history.params == {"epochs": 3, "steps": 7, "batch_size": 7, "verbose": 0}
    x_val, y_val = X[45:], Y[45:]  # Keras' split: the last quarter, before shuffling
    logs = evaluate(model, x_val, y_val, metrics=[absolute_error], batch_size=4)
    whole = evaluate(model, x_val, y_val, metrics=[absolute_error])
    expected_loss = np.mean(-jax.vmap(lambda x, y: model(x[None]).log_prob(y[None]))(x_val, y_val))
    np.testing.assert_allclose(whole["loss"], expected_loss, rtol=1e-6)
    for name in ("loss", "absolute_error"):
        np.testing.assert_allclose(logs[name], whole[name], rtol=1e-6)
        np.testing.assert_allclose(history.history[f"val_{name}"][-1], whole[name], rtol=1e-6)


def test_one_trace_for_all_epochs_and_reuse_across_calls():
    traces = []

    def counting_nll(y, dist):
        traces.append(1)
        return nll(y, dist)

    model = LinearNormal(nnx.Rngs(2))
    optimizer = optax.sgd(0.01)
    seen = []
    fit(model, X, Y, loss=counting_nll, optimizer=optimizer, epochs=4, verbose=0,
        callbacks=[lambda epoch, logs: seen.append(epoch)])
    assert seen == [0, 1, 2, 3]  # one host round trip per epoch ...
    assert len(traces) == 1  # ... through a single traced program
    fit(model, X, Y, loss=counting_nll, optimizer=optimizer, epochs=2, verbose=0,
        callbacks=[lambda epoch, logs: None])
    assert len(traces) == 1


def test_dropout_streams_advance_inside_the_compiled_loop():
    def run(model):
        return fit(model, X, Y, optimizer=optax.sgd(0.1), epochs=3, batch_size=20, verbose=0)

    first, second = LinearNormal(nnx.Rngs(3), dropout=0.5), LinearNormal(nnx.Rngs(3), dropout=0.5)
    run(first)
    run(second)
    assert int(first.dropout.rngs.count[...]) == 3 * 3  # dropout drew a fresh mask at every step
    np.testing.assert_array_equal(first.linear.kernel[...], second.linear.kernel[...])  # reproducible
    # Evaluation is in inference mode: no dropout, no draws.
    before = evaluate(first, X, Y)
    assert evaluate(first, X, Y) == before and int(first.dropout.rngs.count[...]) == 9


def test_regularization_terms_join_the_objective():
    penalty = 0.5
    x = np.linspace(0.5, 1.5, 10)[:, None]
    y = 2.0 * x[:, 0]
    model = Location(penalty=penalty)
    history = fit(model, x, y, optimizer=optax.sgd(0.5), epochs=200, batch_size=None, verbose=0)
    # Ridge solution of mean(0.5 (y - w x)^2) + penalty / 2 * w^2.
    ridge = np.mean(x[:, 0] * y) / (np.mean(x[:, 0] ** 2) + penalty)
    np.testing.assert_allclose(model.w[...], ridge, rtol=1e-6)
    expected = np.mean(0.5 * (y - ridge * x[:, 0]) ** 2 + 0.5 * np.log(2 * np.pi)) + 0.5 * penalty * ridge**2
    np.testing.assert_allclose(history.history["loss"][-1], expected, rtol=1e-6)


def _gradient_descent_path(start, target, learning_rate, steps):
    path = [start]
    for _ in range(steps):
        path.append(path[-1] + learning_rate * (target - path[-1]))
    return np.asarray(path)


@pytest.mark.parametrize("host_each_epoch", [False, True])
def test_non_finite_loss_stops_and_keeps_the_last_finite_step(host_each_epoch):
    def nan_past_five(y, dist):
        return jnp.where(dist.mean() > 5, jnp.nan, nll(y, dist))

    model = Location()
    callbacks = [lambda epoch, logs: None] if host_each_epoch else None
    with pytest.warns(RuntimeWarning, match="not finite at epoch 7, batch 0"):
        history = fit(model, CONSTANT_X.repeat(4, 0), np.full(4, 10.0), loss=nan_past_five,
                      optimizer=optax.sgd(0.1), epochs=30, batch_size=None, callbacks=callbacks, verbose=0)
    path = _gradient_descent_path(0.0, 10.0, 0.1, 10)  # the parameter's value before each step
    assert path[6] <= 5 < path[7]
    assert history.stop_reason == "non_finite_loss" and history.epoch == list(range(8))
    assert np.isnan(history.history["loss"][-1]) and np.isfinite(history.history["loss"][-2])
    np.testing.assert_allclose(model.w[...], path[7], rtol=1e-12)


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_restores_the_best_epoch(restore):
    model = Location()
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=restore)
    history = fit(model, CONSTANT_X.repeat(4, 0), np.full(4, 10.0), optimizer=optax.sgd(0.1), epochs=50,
                  batch_size=None, validation_data=(CONSTANT_X, np.array([3.0])), callbacks=[stopper],
                  verbose=0)
    after = _gradient_descent_path(0.0, 10.0, 0.1, 50)[1:]  # the parameter after each epoch
    best = int(np.argmin(np.abs(after - 3.0)))
    assert stopper.best_epoch == best and history.epoch == list(range(best + 3))
    assert history.stop_reason == "callback"
    expected_val_loss = 0.5 * (after[: best + 3] - 3) ** 2 + 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(history.history["val_loss"], expected_val_loss)
    np.testing.assert_allclose(model.w[...], after[best] if restore else after[best + 2], rtol=1e-12)


def test_a_callback_function_can_stop_training():
    history = fit(Location(), CONSTANT_X, np.ones(1), optimizer="sgd", epochs=10, verbose=0,
                  callbacks=[lambda epoch, logs: epoch == 2])
    assert history.epoch == [0, 1, 2] and history.stop_reason == "callback"


def test_progress_bar_shows_the_loss(capsys):
    fit(Location(), CONSTANT_X, np.ones(1), optimizer="sgd", epochs=2, verbose=1)
    assert "loss=" in capsys.readouterr().err


def test_argument_errors():
    model = Location()
    with pytest.raises(TypeError, match="NNX Module"):
        fit(lambda x: x, X, Y, verbose=0)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, X, Y, epochs=0, verbose=0)
    with pytest.raises(ValueError, match="not both"):
        fit(model, X, Y, validation_data=(X, Y), validation_split=0.1, verbose=0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        fit(model, X, Y, optimizer="adamax", verbose=0)
    with pytest.raises(ValueError, match="one value per example"):
        fit(model, X, Y[:, 0], loss=lambda y, d: jnp.mean(nll(y, d)), verbose=0)
    with pytest.raises(ValueError, match="monitor='val_loss'"):
        fit(model, X, Y[:, 0], callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match="usable name"):
        fit(model, X, Y[:, 0], metrics=[lambda y, d: y], verbose=0)


class GrowsState(nnx.Module):
    def __init__(self):
        self.w = nnx.Param(jnp.zeros((), jnp.float64))

    def __call__(self, x):
        self.late = RegularizationLoss(self.w[...] ** 2)  # created in __call__: not allowed
        return Normal(self.w[...] * x[:, 0], 1.0)


def test_a_forward_pass_that_adds_variables_is_reported():
    with pytest.raises(ValueError, match="changed the structure of its state"):
        fit(GrowsState(), CONSTANT_X, np.ones(1), verbose=0)

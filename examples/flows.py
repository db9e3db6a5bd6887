"""Normalizing flows on data with a known density: MAF, RealNVP and neural spline flows.

The data are "two moons" drawn so that their density is known exactly: pick one of
two half circles with probability 1/2, a point uniformly along it, and add isotropic
Gaussian noise of scale `sigma`. The true density is a 1-D integral over the arc
parameter of a Gaussian kernel, which this script computes to ~1e-12 with composite
Gauss-Legendre quadrature, so every flow's held-out negative log-likelihood (NLL) can
be set against the best achievable one (the true density's NLL on the same points).

Each flow is a `TransformedDistribution` of a standard Normal whose bijector is a
`Chain` of flow layers; their conditioners (MADE networks, MLPs) are Flax NNX modules
trained with optax on `-log_prob(x).mean()`. A fixed affine map (the training data's
mean and standard deviation) is the last link of every chain, so the flows work on
standardized coordinates while the density stays that of the raw data (the chain
counts that map's Jacobian).

A conditional MAF then fits p(y | x) for a heteroscedastic "banana" with a known
conditional density.

Run it alone with `python examples/flows.py --output demo_output` or through `make demo`.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import probax as px
from figures import output_folder, pyplot, save_figure

tfb, tfd = px.bijectors, px.distributions

EVENT_SIZE = 2
SIGMA = 0.1

# ---------------------------------------------------------------------------- the data and its density


def moon_arcs(t: np.ndarray) -> np.ndarray:
    """Points on the two half circles at arc parameter t in [0, pi], shaped `t.shape + (2, 2)` (arc, xy).

    Arc 0 is the upper moon (cos t, sin t); arc 1 the lower one (1 - cos t, 1/2 - sin t),
    as in scikit-learn's `make_moons`.
    """
    upper = np.stack([np.cos(t), np.sin(t)], axis=-1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=-1)
    return np.stack([upper, lower], axis=-2)


def sample_two_moons(rng: np.random.Generator, n: int, sigma: float = SIGMA) -> np.ndarray:
    """`n` draws (float64, shape [n, 2]): a uniform point on a uniformly chosen arc plus N(0, sigma^2 I)."""
    arc = rng.integers(0, 2, n)
    t = rng.uniform(0.0, np.pi, n)
    centers = moon_arcs(t)[np.arange(n), arc]
    return centers + sigma * rng.normal(size=(n, 2))


def _gauss_legendre(panels: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of composite Gauss-Legendre quadrature on [0, pi]."""
    unit_nodes, unit_weights = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(0.0, np.pi, panels + 1)
    half = 0.5 * np.diff(edges)[:, None]
    nodes = (edges[:-1, None] + half * (unit_nodes[None, :] + 1.0)).ravel()
    weights = (half * unit_weights[None, :]).ravel()
    return nodes, weights


def two_moons_log_density(
    points: np.ndarray, sigma: float = SIGMA, order: int = 16, chunk: int = 4096
) -> np.ndarray:
    """log p(points) of the two-moons distribution, in float64.

    p(z) = (1/2) sum_arcs (1/pi) int_0^pi N(z; arc(t), sigma^2 I) dt. In t the kernel is a bump
    of width about sigma / sqrt(distance to the circle's center), so panels no wider than
    sigma / 2 with 16 Gauss-Legendre nodes each resolve it far below 1e-6 nats; the sum is
    done in log space so points far from the moons do not underflow.

    Args:
      points: shape [..., 2].
      sigma: the noise scale.
      order: Gauss-Legendre nodes per panel.
      chunk: points evaluated at once (bounds memory).

    Returns:
      log densities, shaped `points.shape[:-1]`.

    Example:
      >>> round(float(two_moons_log_density(np.array([0.0, 1.0]))), 3)
      -0.453

    """
    points = np.asarray(points, np.float64)
    if points.shape[-1:] != (2,):
        raise ValueError(f"two_moons_log_density: points must end in a dimension of 2, got {points.shape}.")
    if not sigma > 0:
        raise ValueError(f"two_moons_log_density: sigma must be positive, got {sigma!r}.")
    panels = max(8, int(np.ceil(np.pi / (0.5 * sigma))))
    t, weights = _gauss_legendre(panels, order)
    centers = moon_arcs(t).reshape(-1, 2)  # [nodes * arcs, 2]
    log_weights = np.repeat(np.log(weights / (2.0 * np.pi)), 2)
    flat = points.reshape(-1, 2)
    out = np.empty(len(flat))
    for start in range(0, len(flat), chunk):
        block = flat[start : start + chunk]
        squared = ((block[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
        terms = log_weights[None, :] - squared / (2 * sigma**2)
        peak = terms.max(axis=1)
        out[start : start + chunk] = peak + np.log(np.exp(terms - peak[:, None]).sum(axis=1))
    return (out - np.log(2 * np.pi * sigma**2)).reshape(points.shape[:-1])


class ConditionalProblem(NamedTuple):
    """Draws of (x, y): a scalar condition x ~ U(-1, 1) and a 2-D response y ~ p(y | x)."""

    condition: np.ndarray  # [n, 1]
    response: np.ndarray  # [n, 2]


def _conditional_moments(x: np.ndarray, y1: np.ndarray) -> tuple[np.ndarray, ...]:
    """(mean of y1, sd of y1, mean of y2 given y1, sd of y2) of the banana below."""
    return 0.5 * x, 0.2 + 0.15 * (x + 1.0), (1.0 + x) * y1**2 - 0.3, np.full_like(x, 0.2)


def sample_conditional(rng: np.random.Generator, n: int) -> ConditionalProblem:
    """A heteroscedastic banana given x ~ U(-1, 1).

    y1 | x ~ N(x / 2, (0.2 + 0.15 (x + 1))^2) and y2 | y1, x ~ N((1 + x) y1^2 - 0.3, 0.2^2).
    """
    x = rng.uniform(-1.0, 1.0, n)
    mean1, sd1, _, _ = _conditional_moments(x, x)
    y1 = mean1 + sd1 * rng.normal(size=n)
    _, _, mean2, sd2 = _conditional_moments(x, y1)
    y2 = mean2 + sd2 * rng.normal(size=n)
    return ConditionalProblem(x[:, None], np.stack([y1, y2], axis=-1))


def conditional_log_density(response: np.ndarray, condition: np.ndarray) -> np.ndarray:
    """log p(y | x) of the banana (float64); `response` [..., 2], `condition` [..., 1]."""
    x, y1, y2 = condition[..., 0], response[..., 0], response[..., 1]
    mean1, sd1, mean2, sd2 = _conditional_moments(x, y1)

    def log_normal(v, mean, sd):
        return -0.5 * ((v - mean) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)

    return log_normal(y1, mean1, sd1) + log_normal(y2, mean2, sd2)


# ---------------------------------------------------------------------------- conditioners


class MLP(nnx.Module):
    """A ReLU multilayer perceptron whose last layer starts at zero (so every flow starts near identity)."""

    def __init__(self, in_size: int, hidden_units: Sequence[int], out_size: int, rngs: nnx.Rngs):
        sizes = [in_size, *hidden_units]
        self.hidden = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(sizes)])
        self.out = nnx.Linear(sizes[-1], out_size, kernel_init=nnx.initializers.zeros_init(), rngs=rngs)

    def __call__(self, x):
        """The network's output for inputs `x` of shape [..., in_size]."""
        for layer in self.hidden:
            x = jax.nn.relu(layer(x))
        return self.out(x)


def _zero_output_layer(made: tfb.AutoregressiveNetwork) -> tfb.AutoregressiveNetwork:
    """Zero the MADE's last kernel so its outputs start at the bias (zero): the layer starts as identity."""
    kernel = made.layers[-1].kernel
    kernel[...] = jnp.zeros_like(kernel[...])
    return made


# The smallest bin width, bin height and knot slope allowed: (a fraction of the interval, a slope).
_MIN_SIZE = 1e-3
# min + softplus(this) = 1: a zero network output gives unit knot slopes and, with equal bins, the
# identity spline, so an untrained spline flow is the identity.
_UNIT_SLOPE_OFFSET = float(np.log(np.expm1(1.0 - _MIN_SIZE)))


def spline_from_outputs(raw: jax.Array, num_bins: int, bound: float) -> tfb.RationalQuadraticSpline:
    """A RationalQuadraticSpline on [-bound, bound] from unconstrained outputs [..., 3 * num_bins - 1].

    Widths and heights are a softmax scaled to the interval (kept above 1e-3 of it), interior
    knot slopes a softplus (kept above 1e-3): the constraints the spline needs.
    """
    widths, heights, slopes = jnp.split(raw, [num_bins, 2 * num_bins], axis=-1)

    def sizes(logits):
        return 2 * bound * (_MIN_SIZE + (1 - _MIN_SIZE * num_bins) * jax.nn.softmax(logits, axis=-1))

    knot_slopes = _MIN_SIZE + jax.nn.softplus(slopes + _UNIT_SLOPE_OFFSET)
    return tfb.RationalQuadraticSpline(sizes(widths), sizes(heights), knot_slopes, range_min=-bound)


class CouplingAffine(nnx.Module):
    """RealNVP's conditioner: (shift, log_scale) of the transformed coordinates from the fixed ones."""

    def __init__(self, num_fixed: int, num_changed: int, hidden_units: Sequence[int], rngs: nnx.Rngs):
        self.num_changed = num_changed
        self.net = MLP(num_fixed, hidden_units, 2 * num_changed, rngs)

    def __call__(self, fixed, conditional_input=None):
        """(shift, log_scale), each shaped [..., num_changed]."""
        shift, raw_scale = jnp.split(self.net(fixed), 2, axis=-1)
        # A soft bound on log_scale keeps early steps from blowing up exp(log_scale).
        return shift, 3.0 * jnp.tanh(raw_scale / 3.0)


class CouplingSpline(nnx.Module):
    """A neural spline coupling conditioner: splines for the transformed coordinates from the fixed ones."""

    def __init__(
        self,
        num_fixed: int,
        num_changed: int,
        hidden_units: Sequence[int],
        num_bins: int,
        bound: float,
        rngs: nnx.Rngs,
    ):
        self.num_changed, self.num_bins, self.bound = num_changed, num_bins, bound
        self.net = MLP(num_fixed, hidden_units, num_changed * (3 * num_bins - 1), rngs)

    def __call__(self, fixed, conditional_input=None):
        """An elementwise RationalQuadraticSpline with parameters shaped [..., num_changed, bins]."""
        raw = self.net(fixed).reshape((*fixed.shape[:-1], self.num_changed, 3 * self.num_bins - 1))
        return spline_from_outputs(raw, self.num_bins, self.bound)


class AutoregressiveSpline(nnx.Module):
    """A MADE whose outputs are spline parameters: the bijector_fn of an autoregressive neural spline flow."""

    def __init__(
        self,
        event_size: int,
        hidden_units: Sequence[int],
        num_bins: int,
        bound: float,
        input_order: str,
        rngs: nnx.Rngs,
    ):
        self.num_bins, self.bound = num_bins, bound
        self.made = _zero_output_layer(
            tfb.AutoregressiveNetwork(
                params=3 * num_bins - 1,
                event_shape=event_size,
                hidden_units=hidden_units,
                activation="relu",
                input_order=input_order,
                rngs=rngs,
            )
        )

    def __call__(self, y, conditional_input=None):
        """An elementwise RationalQuadraticSpline whose d-th parameters depend on y_<d only."""
        return spline_from_outputs(self.made(y), self.num_bins, self.bound)


# ---------------------------------------------------------------------------- flows


def _input_order(index: int) -> str:
    # Alternate the autoregressive order between layers (a reversed MADE instead of a Permute:
    # the same flow, without a gather and its scatter-add gradient).
    return "left-to-right" if index % 2 == 0 else "right-to-left"


def maf_layer(index: int, conditioner: nnx.Module) -> tfb.Bijector:
    """An affine MAF layer (`shift_and_log_scale_fn`)."""
    return tfb.MaskedAutoregressiveFlow(conditioner)


def autoregressive_spline_layer(index: int, conditioner: nnx.Module) -> tfb.Bijector:
    """A neural spline MAF layer (`bijector_fn`)."""
    return tfb.MaskedAutoregressiveFlow(bijector_fn=conditioner)


def coupling_layer(index: int, conditioner: nnx.Module) -> tfb.Bijector:
    """A RealNVP coupling (affine or spline): even layers keep the leading coordinates, odd the trailing."""
    num_masked = EVENT_SIZE - conditioner.num_changed
    num_masked = num_masked if index % 2 == 0 else -num_masked
    if isinstance(conditioner, CouplingSpline):
        return tfb.RealNVP(num_masked=num_masked, bijector_fn=conditioner)
    return tfb.RealNVP(num_masked=num_masked, shift_and_log_scale_fn=conditioner)


class Flow(nnx.Module):
    """A trainable flow: NNX conditioners, how each becomes a layer, and a fixed affine output map.

    `distribution()` assembles `TransformedDistribution(Normal(0, 1), Chain([Shift(loc),
    ScaleMatvecDiag(scale), layer_{L-1}, ..., layer_0]), event_shape=[D])`.

    Args:
      conditioners: one NNX module per layer.
      make_layer: `(index, conditioner) -> Bijector`.
      loc: per-coordinate shift of the output map (the training data's mean).
      scale: per-coordinate scale of the output map (the training data's standard deviation).
    """

    def __init__(
        self,
        conditioners: Sequence[nnx.Module],
        make_layer: Callable[[int, nnx.Module], tfb.Bijector],
        loc: Sequence[float],
        scale: Sequence[float],
    ):
        self.conditioners = nnx.List(conditioners)
        self.make_layer = make_layer
        self.loc, self.scale = tuple(map(float, loc)), tuple(map(float, scale))

    def bijector(self) -> tfb.Chain:
        """The chain from the base space to data space."""
        layers = [self.make_layer(i, c) for i, c in enumerate(self.conditioners)]
        output = [
            tfb.Shift(jnp.asarray(self.loc, jnp.float32)),
            tfb.ScaleMatvecDiag(jnp.asarray(self.scale, jnp.float32)),
        ]
        return tfb.Chain([*output, *reversed(layers)])

    def distribution(self, conditional_input=None) -> tfd.TransformedDistribution:
        """The flow's distribution (conditioned on `conditional_input` when given)."""
        kwargs = None if conditional_input is None else {"conditional_input": conditional_input}
        return tfd.TransformedDistribution(
            tfd.Normal(0.0, 1.0), self.bijector(), event_shape=[len(self.loc)], bijector_kwargs=kwargs
        )


class FlowConfig(NamedTuple):
    """Sizes of a flow and its conditioners."""

    num_layers: int
    hidden_units: tuple[int, ...] = (64, 64)
    num_bins: int = 8
    bound: float = 4.0


def build_flow(kind: str, config: FlowConfig, loc, scale, seed: int = 0) -> Flow:
    """A fresh flow of one kind: 'maf', 'real_nvp', 'spline_coupling' or 'spline_autoregressive'."""
    rngs = nnx.Rngs(seed)
    hidden = config.hidden_units
    if kind == "maf":
        conditioners = [
            _zero_output_layer(
                tfb.AutoregressiveNetwork(
                    params=2,
                    event_shape=EVENT_SIZE,
                    hidden_units=hidden,
                    activation="relu",
                    input_order=_input_order(i),
                    rngs=rngs,
                )
            )
            for i in range(config.num_layers)
        ]
        return Flow(conditioners, maf_layer, loc, scale)
    if kind == "real_nvp":
        conditioners = [CouplingAffine(1, EVENT_SIZE - 1, hidden, rngs) for _ in range(config.num_layers)]
        return Flow(conditioners, coupling_layer, loc, scale)
    if kind == "spline_coupling":
        conditioners = [
            CouplingSpline(1, EVENT_SIZE - 1, hidden, config.num_bins, config.bound, rngs)
            for _ in range(config.num_layers)
        ]
        return Flow(conditioners, coupling_layer, loc, scale)
    if kind == "spline_autoregressive":
        conditioners = [
            AutoregressiveSpline(EVENT_SIZE, hidden, config.num_bins, config.bound, _input_order(i), rngs)
            for i in range(config.num_layers)
        ]
        return Flow(conditioners, autoregressive_spline_layer, loc, scale)
    raise ValueError(
        f"build_flow: kind must be 'maf', 'real_nvp', 'spline_coupling' or "
        f"'spline_autoregressive', got {kind!r}."
    )


def build_conditional_maf(num_layers: int, hidden_units: Sequence[int], loc, scale, seed: int = 0) -> Flow:
    """A conditional affine MAF for p(y | x): every MADE layer also sees the (unmasked) condition x."""
    rngs = nnx.Rngs(seed)
    conditioners = [
        _zero_output_layer(
            tfb.AutoregressiveNetwork(
                params=2,
                event_shape=EVENT_SIZE,
                conditional=True,
                conditional_event_shape=1,
                hidden_units=hidden_units,
                activation="relu",
                input_order=_input_order(i),
                rngs=rngs,
            )
        )
        for i in range(num_layers)
    ]
    return Flow(conditioners, maf_layer, loc, scale)


# ---------------------------------------------------------------------------- training


class TrainResult(NamedTuple):
    """The losses of a training run, one per step, and its wall time in seconds."""

    losses: np.ndarray
    seconds: float


def negative_log_likelihood(flow: Flow, data: jax.Array, condition: jax.Array | None = None) -> jax.Array:
    """Mean -log p(data) (or -log p(data | condition)) under the flow."""
    return -jnp.mean(flow.distribution(condition).log_prob(data))


@nnx.jit
def train_step(
    flow: Flow, optimizer: nnx.Optimizer, batch: jax.Array, condition: jax.Array | None
) -> jax.Array:
    """One adam step on a minibatch's mean negative log-likelihood; returns the loss before the step."""
    loss, grads = nnx.value_and_grad(negative_log_likelihood)(flow, batch, condition)
    optimizer.update(flow, grads)
    return loss


def train(
    flow: Flow,
    data: np.ndarray,
    steps: int,
    batch_size: int,
    learning_rate: float,
    condition: np.ndarray | None = None,
    seed: int = 0,
) -> TrainResult:
    """Fit `flow` in place by adam on minibatches (reshuffled each epoch), learning rate on a cosine decay.

    Args:
      flow: the flow to train.
      data: training points [n, D].
      steps: adam steps.
      batch_size: points per step.
      learning_rate: initial learning rate.
      condition: the matching conditions [n, C] for a conditional flow.
      seed: seed of the shuffling.

    Returns:
      the per-step losses and the wall time.
    """
    if batch_size > len(data):
        raise ValueError(
            f"train: batch_size ({batch_size}) must not exceed the number of points, {len(data)}."
        )
    schedule = optax.cosine_decay_schedule(learning_rate, steps, alpha=0.02)
    optimizer = nnx.Optimizer(flow, optax.adam(schedule), wrt=nnx.Param)
    data = jnp.asarray(data, jnp.float32)
    condition = None if condition is None else jnp.asarray(condition, jnp.float32)
    rng = np.random.default_rng(seed)
    # The NNX graph of the flow and optimizer is walked once here, not on every step.
    step_fn = nnx.cached_partial(train_step, flow, optimizer)
    per_epoch = len(data) // batch_size
    losses, order = [], None
    start = time.perf_counter()
    for step in range(steps):
        if step % per_epoch == 0:
            order = rng.permutation(len(data))[: per_epoch * batch_size].reshape(per_epoch, batch_size)
        rows = order[step % per_epoch]
        batch_condition = None if condition is None else condition[rows]
        losses.append(step_fn(data[rows], batch_condition))
    losses = np.asarray(jax.device_get(losses))
    return TrainResult(losses, time.perf_counter() - start)


@nnx.jit
def _log_prob(flow: Flow, points: jax.Array, condition: jax.Array | None) -> jax.Array:
    return flow.distribution(condition).log_prob(points)


def flow_log_prob(flow: Flow, points: np.ndarray, condition: np.ndarray | None = None) -> np.ndarray:
    """log p(points) under the flow, as float64 numpy, shaped `points.shape[:-1]`."""
    flat = jnp.asarray(np.reshape(points, (-1, points.shape[-1])), jnp.float32)
    flat_condition = (
        None if condition is None else jnp.asarray(np.reshape(condition, (len(flat), -1)), jnp.float32)
    )
    return np.asarray(_log_prob(flow, flat, flat_condition), np.float64).reshape(points.shape[:-1])


@nnx.jit(static_argnums=1)
def _sample(flow: Flow, n: int, key: jax.Array) -> jax.Array:
    return flow.distribution().sample(n, seed=key)


def flow_sample(flow: Flow, n: int, seed: int = 0) -> np.ndarray:
    """`n` draws from an unconditional flow, as numpy."""
    return np.asarray(_sample(flow, n, jax.random.key(seed)))


# ---------------------------------------------------------------------------- the walkthrough


class Settings(NamedTuple):
    """Data sizes and training budget of the walkthrough."""

    sigma: float = SIGMA
    num_train: int = 20_000
    num_test: int = 20_000
    batch_size: int = 512
    steps: int = 2000
    learning_rate: float = 2e-3
    conditional_steps: int = 2000


FLOWS: dict[str, FlowConfig] = {
    "maf": FlowConfig(num_layers=5),
    "real_nvp": FlowConfig(num_layers=6),
    "spline_coupling": FlowConfig(num_layers=4),
    "spline_autoregressive": FlowConfig(num_layers=4),
}


class FlowResult(NamedTuple):
    """A trained flow and its held-out mean negative log-likelihood."""

    flow: Flow
    test_nll: float
    train: TrainResult


def fit_two_moons(
    settings: Settings, kinds: Sequence[str] = tuple(FLOWS), flows: dict[str, FlowConfig] | None = None
) -> tuple[dict[str, FlowResult], dict]:
    """Train each kind of flow on two-moons draws; return them and the data with its true density."""
    flows = FLOWS if flows is None else flows
    rng = np.random.default_rng(0)
    train_points = sample_two_moons(rng, settings.num_train, settings.sigma)
    test_points = sample_two_moons(rng, settings.num_test, settings.sigma)
    loc, scale = train_points.mean(axis=0), train_points.std(axis=0)
    results = {}
    for i, kind in enumerate(kinds):
        flow = build_flow(kind, flows[kind], loc, scale, seed=i)
        trained = train(
            flow, train_points, settings.steps, settings.batch_size, settings.learning_rate, seed=i
        )
        results[kind] = FlowResult(flow, float(-flow_log_prob(flow, test_points).mean()), trained)
    true_nll = float(-two_moons_log_density(test_points, settings.sigma).mean())
    data = {"train": train_points, "test": test_points, "true_nll": true_nll}
    return results, data


def fit_conditional(settings: Settings, num_layers: int = 3, hidden_units=(64, 64)) -> dict:
    """Train a conditional MAF on the banana; return it with held-out NLLs (flow and truth)."""
    rng = np.random.default_rng(1)
    train_set = sample_conditional(rng, settings.num_train)
    test_set = sample_conditional(rng, settings.num_test)
    loc, scale = train_set.response.mean(axis=0), train_set.response.std(axis=0)
    flow = build_conditional_maf(num_layers, hidden_units, loc, scale)
    trained = train(
        flow,
        train_set.response,
        settings.conditional_steps,
        settings.batch_size,
        settings.learning_rate,
        condition=train_set.condition,
    )
    nll = float(-flow_log_prob(flow, test_set.response, test_set.condition).mean())
    true_nll = float(-conditional_log_density(test_set.response, test_set.condition).mean())
    return {"flow": flow, "test_nll": nll, "true_nll": true_nll, "train": trained}


LABELS = {
    "maf": "MAF (affine, 5 layers)",
    "real_nvp": "RealNVP (affine, 6 couplings)",
    "spline_coupling": "NSF, coupling (4 layers)",
    "spline_autoregressive": "NSF, autoregressive (4 layers)",
}


def plot_two_moons(path: Path, results: dict[str, FlowResult], data: dict, sigma: float) -> None:
    """True density and each flow's density on a grid (top), and samples from each (bottom)."""
    plt = pyplot()

    xs, ys = np.linspace(-1.6, 2.6, 180), np.linspace(-1.1, 1.6, 120)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    densities = {"truth": np.exp(two_moons_log_density(grid, sigma))}
    # Far outside the data an affine flow's inverse can overflow float32 (NaN log-density); the
    # density there is nil for the picture.
    densities |= {
        kind: np.nan_to_num(np.exp(flow_log_prob(r.flow, grid)), nan=0.0) for kind, r in results.items()
    }
    samples = {"truth": data["test"][:3000]}
    samples |= {kind: flow_sample(r.flow, 3000, seed=7) for kind, r in results.items()}
    fig, axes = plt.subplots(2, len(densities), figsize=(3.6 * len(densities), 5.2), squeeze=False)
    vmax = densities["truth"].max()
    for column, name in enumerate(densities):
        top, bottom = axes[0, column], axes[1, column]
        top.pcolormesh(xs, ys, densities[name], vmin=0.0, vmax=vmax, cmap="viridis", shading="auto")
        nll = data["true_nll"] if name == "truth" else results[name].test_nll
        top.set_title(f"{LABELS.get(name, 'true density')}\nheld-out NLL {nll:.3f}", fontsize=9)
        bottom.plot(samples[name][:, 0], samples[name][:, 1], ".", ms=1, alpha=0.5)
        bottom.set_title("test points" if name == "truth" else "samples", fontsize=9)
        for axis in (top, bottom):
            axis.set_xlim(xs[0], xs[-1])
            axis.set_ylim(ys[0], ys[-1])
            axis.set_aspect("equal")
            axis.tick_params(labelsize=7)
    save_figure(fig, path)


def plot_conditional(path: Path, outcome: dict) -> None:
    """True and fitted conditional densities p(y | x) at three values of x."""
    plt = pyplot()

    y1, y2 = np.linspace(-1.5, 1.5, 120), np.linspace(-1.0, 2.5, 120)
    grid = np.stack(np.meshgrid(y1, y2), axis=-1)
    conditions = (-0.8, 0.0, 0.8)
    fig, axes = plt.subplots(2, len(conditions), figsize=(3.4 * len(conditions), 6.0), squeeze=False)
    for column, x in enumerate(conditions):
        condition = np.full((*grid.shape[:-1], 1), x)
        true = np.exp(conditional_log_density(grid, condition))
        fitted = np.exp(flow_log_prob(outcome["flow"], grid, condition))
        for row, (label, density) in enumerate((("true", true), ("conditional MAF", fitted))):
            axis = axes[row, column]
            axis.contourf(y1, y2, density, levels=12, cmap="viridis")
            axis.set_title(f"{label} p(y | x = {x:+.1f})", fontsize=9)
            axis.tick_params(labelsize=7)
    save_figure(fig, path)


def main(output: Path, settings: Settings | None = None) -> str:
    """Fit the flows, write `flows_two_moons.png` and `flows_conditional.png`, return the summary text."""
    settings = Settings() if settings is None else settings
    output = output_folder(output)
    results, data = fit_two_moons(settings)
    lines = [
        "== Normalizing flows on two moons (known density) ==",
        f"sigma = {settings.sigma}, {settings.num_train} training / {settings.num_test} held-out points, "
        f"{settings.steps} adam steps of {settings.batch_size}",
        f"{'true density':>32}: held-out NLL {data['true_nll']:.4f}",
    ]
    for kind, result in results.items():
        gap = result.test_nll - data["true_nll"]
        lines.append(
            f"{LABELS[kind]:>32}: held-out NLL {result.test_nll:.4f} (true + {gap:.4f}), "
            f"trained in {result.train.seconds:.1f} s"
        )
    conditional = fit_conditional(settings)
    lines += [
        "-- conditional MAF, p(y | x) for a heteroscedastic banana --",
        f"held-out conditional NLL {conditional['test_nll']:.4f}, true {conditional['true_nll']:.4f} "
        f"(gap {conditional['test_nll'] - conditional['true_nll']:.4f}), "
        f"trained in {conditional['train'].seconds:.1f} s",
    ]
    plot_two_moons(output / "flows_two_moons.png", results, data, settings.sigma)
    plot_conditional(output / "flows_conditional.png", conditional)
    lines.append(f"figures: {output / 'flows_two_moons.png'}, {output / 'flows_conditional.png'}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))

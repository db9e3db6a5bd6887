"""The GLM families of `tfp.glm`, with TFP's names, parameters and meaning.

Each family's docstring gives the response distribution and the inverse link `mean = h(r)`
for the linear response `r`. Means, variances and `grad_mean = h'(r)` are closed forms;
log-likelihoods come from `probax.distributions`.

As in TFP, `GammaExp(concentration)` is `Gamma(concentration, rate=exp(-r))`, whose mean
is `concentration * exp(r)` (the factor only shifts an intercept), and the LogNormal
families fix `loc = log(mean) - scale**2 / 2` so that `exp(r)` is the mean.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax import distributions as tfd
from probax.glm.family import ExponentialFamily
from probax.math.normal_tails import log_ndtr

_SQRT_LOG_TWO = math.sqrt(math.log(2.0))


class Bernoulli(ExponentialFamily):
    """`Bernoulli(logits=r)`: `mean = sigmoid(r)`, the canonical (logit) link.

    Example:
      >>> mean, variance, grad_mean = Bernoulli()(0.0)
      >>> float(mean), float(variance)
      (0.5, 0.25)

    """

    is_canonical = True

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def _call(self, r):
        mean = jax.nn.sigmoid(r)
        variance = mean * jax.nn.sigmoid(-r)
        return mean, variance, variance

    def _as_distribution(self, r):
        return tfd.Bernoulli(logits=r)


class BernoulliNormalCDF(ExponentialFamily):
    """`Bernoulli(probs=mean)` with `mean = Phi(r)`, the standard normal CDF (probit link).

    Example:
      >>> mean, variance, grad_mean = BernoulliNormalCDF()(0.0)
      >>> round(float(grad_mean), 6)
      0.398942

    """

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def _call(self, r):
        mean = special.ndtr(r)
        variance = mean * special.ndtr(-r)
        grad_mean = jnp.exp(-0.5 * jnp.square(r)) / math.sqrt(2 * math.pi)
        return mean, variance, grad_mean

    def _as_distribution(self, r):
        # logit(Phi(r)) from log-CDFs keeps both tails accurate.
        return tfd.Bernoulli(logits=log_ndtr(r) - log_ndtr(-r))


class Binomial(ExponentialFamily):
    """`Binomial(total_count, logits=r)`: `mean = total_count * sigmoid(r)` (canonical link).

    Args:
      total_count: number of trials per observation (scalar, or broadcasting with the response).
      name: a name for the family.

    Example:
      >>> mean, _, _ = Binomial(total_count=10.)(0.0)
      >>> float(mean)
      5.0

    """

    _parameter_names = ("total_count",)
    is_canonical = True

    def __init__(self, total_count=1.0, name: str | None = None):
        super().__init__(name=name, total_count=total_count)

    def _call(self, r):
        mean = self._cast(self.total_count, r) * jax.nn.sigmoid(r)
        variance = mean * jax.nn.sigmoid(-r)
        return mean, variance, variance

    def _as_distribution(self, r):
        return tfd.Binomial(total_count=self._cast(self.total_count, r), logits=r)


class Poisson(ExponentialFamily):
    """`Poisson(log_rate=r)`: `mean = exp(r)` (canonical log link).

    Example:
      >>> [float(v) for v in Poisson()(0.0)]
      [1.0, 1.0, 1.0]

    """

    is_canonical = True

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def _call(self, r):
        mean = jnp.exp(r)
        return mean, mean, mean

    def _as_distribution(self, r):
        return tfd.Poisson(log_rate=r)


class PoissonSoftplus(ExponentialFamily):
    """`Poisson(rate=mean)` with `mean = softplus(r)`.

    Example:
      >>> round(float(PoissonSoftplus()(0.0)[0]), 6)
      0.693147

    """

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def _call(self, r):
        mean = jax.nn.softplus(r)
        return mean, mean, jax.nn.sigmoid(r)

    def _as_distribution(self, r):
        return tfd.Poisson(rate=jax.nn.softplus(r))


class Normal(ExponentialFamily):
    """`Normal(loc=r, scale)`: `mean = r` (identity, canonical link).

    Args:
      scale: standard deviation of the response; it scales the Fisher information but not
        the unregularized estimate. Standard errors from `probax.glm.summary` estimate the
        dispersion instead, as statsmodels does.
      name: a name for the family.

    Example:
      >>> [float(v) for v in Normal(scale=2.)(3.0)]
      [3.0, 4.0, 1.0]

    """

    _parameter_names = ("scale",)
    is_canonical = True
    fixed_dispersion = False

    def __init__(self, scale=1.0, name: str | None = None):
        super().__init__(name=name, scale=scale)

    def _call(self, r):
        variance = jnp.broadcast_to(jnp.square(self._cast(self.scale, r)), r.shape)
        return r, variance, jnp.ones_like(r)

    def _as_distribution(self, r):
        return tfd.Normal(loc=r, scale=self._cast(self.scale, r))


class NormalReciprocal(ExponentialFamily):
    """`Normal(loc=mean, scale)` with `mean = 1 / r` (reciprocal link).

    Args:
      scale: standard deviation of the response.
      name: a name for the family.

    Example:
      >>> [float(v) for v in NormalReciprocal()(2.0)]
      [0.5, 1.0, -0.25]

    """

    _parameter_names = ("scale",)
    fixed_dispersion = False

    def __init__(self, scale=1.0, name: str | None = None):
        super().__init__(name=name, scale=scale)

    def _call(self, r):
        variance = jnp.broadcast_to(jnp.square(self._cast(self.scale, r)), r.shape)
        return jnp.reciprocal(r), variance, -jnp.reciprocal(jnp.square(r))

    def _as_distribution(self, r):
        return tfd.Normal(loc=jnp.reciprocal(r), scale=self._cast(self.scale, r))


class _ExpLink:
    """Mean exp(r) (log link), for families parameterized by a mean function h(r)."""

    def _mean_and_grad(self, r):
        mean = jnp.exp(r)
        return mean, mean

    def _log_mean(self, r):
        return r


class _SoftplusLink:
    """Mean softplus(r), for families parameterized by a mean function h(r)."""

    def _mean_and_grad(self, r):
        return jax.nn.softplus(r), jax.nn.sigmoid(r)

    def _log_mean(self, r):
        return jnp.log(jax.nn.softplus(r))


class _LogNormalFamily(ExponentialFamily):
    """LogNormal response with mean `h(r)`: `LogNormal(loc=log(h(r)) - scale**2 / 2, scale)`.

    The variance is `mean**2 * expm1(scale**2)`. The response's sufficient statistic is
    `log y`, not `y`, so Fisher scoring with these moments solves the quasi-likelihood
    equations of a variance proportional to `mean**2` (a Gamma GLM's estimate) rather
    than the log-normal maximum-likelihood equations, exactly as `tfp.glm.fit` does.
    """

    _parameter_names = ("scale",)
    fixed_dispersion = False

    def __init__(self, scale=_SQRT_LOG_TWO, name: str | None = None):
        super().__init__(name=name, scale=scale)

    def _mean_and_grad(self, r):
        raise NotImplementedError

    def _log_mean(self, r):
        raise NotImplementedError

    def _call(self, r):
        mean, grad_mean = self._mean_and_grad(r)
        variance = jnp.square(mean) * jnp.expm1(jnp.square(self._cast(self.scale, r)))
        return mean, variance, grad_mean

    def _as_distribution(self, r):
        scale = self._cast(self.scale, r)
        return tfd.LogNormal(loc=self._log_mean(r) - 0.5 * jnp.square(scale), scale=scale)


class LogNormal(_ExpLink, _LogNormalFamily):
    """`LogNormal(loc=r - scale**2 / 2, scale)`: `mean = exp(r)`.

    Args:
      scale: the log-scale; the default `sqrt(log 2)` makes the variance `mean**2`.
      name: a name for the family.

    Example:
      >>> [round(float(v), 6) for v in LogNormal()(0.0)]
      [1.0, 1.0, 1.0]

    """


class LogNormalSoftplus(_SoftplusLink, _LogNormalFamily):
    """`LogNormal(loc=log(mean) - scale**2 / 2, scale)` with `mean = softplus(r)`.

    Args:
      scale: the log-scale; the default `sqrt(log 2)` makes the variance `mean**2`.
      name: a name for the family.

    Example:
      >>> round(float(LogNormalSoftplus()(0.0)[0]), 6)
      0.693147

    """


class GammaExp(ExponentialFamily):
    """`Gamma(concentration, rate=exp(-r))`: `mean = concentration * exp(r)`.

    Args:
      concentration: the Gamma shape (1: exponential responses).
      name: a name for the family.

    Example:
      >>> [float(v) for v in GammaExp(concentration=2.)(0.0)]
      [2.0, 2.0, 2.0]

    """

    _parameter_names = ("concentration",)
    fixed_dispersion = False

    def __init__(self, concentration=1.0, name: str | None = None):
        super().__init__(name=name, concentration=concentration)

    def _call(self, r):
        exp_r = jnp.exp(r)
        mean = exp_r * self._cast(self.concentration, r)
        return mean, exp_r * mean, mean

    def _as_distribution(self, r):
        return tfd.Gamma(concentration=self._cast(self.concentration, r), log_rate=-r)


class GammaSoftplus(ExponentialFamily):
    """`Gamma(concentration, rate=1 / softplus(r))`: `mean = concentration * softplus(r)`.

    Args:
      concentration: the Gamma shape.
      name: a name for the family.

    Example:
      >>> round(float(GammaSoftplus()(0.0)[2]), 6)
      0.5

    """

    _parameter_names = ("concentration",)
    fixed_dispersion = False

    def __init__(self, concentration=1.0, name: str | None = None):
        super().__init__(name=name, concentration=concentration)

    def _call(self, r):
        concentration = self._cast(self.concentration, r)
        softplus_r = jax.nn.softplus(r)
        mean = softplus_r * concentration
        return mean, softplus_r * mean, jax.nn.sigmoid(r) * concentration

    def _as_distribution(self, r):
        return tfd.Gamma(
            concentration=self._cast(self.concentration, r), rate=jnp.reciprocal(jax.nn.softplus(r))
        )


class _NegativeBinomialFamily(ExponentialFamily):
    """`NegativeBinomial(total_count, probs=mean / (mean + total_count))` with mean `h(r)`.

    The variance is `mean + mean**2 / total_count` (statsmodels' `alpha` is
    `1 / total_count`); `total_count` need not be an integer.
    """

    _parameter_names = ("total_count",)

    def __init__(self, total_count=1.0, name: str | None = None):
        super().__init__(name=name, total_count=total_count)

    def _mean_and_grad(self, r):
        raise NotImplementedError

    def _log_mean(self, r):
        raise NotImplementedError

    def _call(self, r):
        mean, grad_mean = self._mean_and_grad(r)
        variance = mean + jnp.square(mean) / self._cast(self.total_count, r)
        return mean, variance, grad_mean

    def _as_distribution(self, r):
        total_count = self._cast(self.total_count, r)
        return tfd.NegativeBinomial(
            total_count=total_count,
            logits=self._log_mean(r) - jnp.log(total_count),
            require_integer_total_count=False,
        )


class NegativeBinomial(_ExpLink, _NegativeBinomialFamily):
    """`NegativeBinomial(total_count, logits=r - log(total_count))`: `mean = exp(r)`.

    Args:
      total_count: the dispersion parameter (statsmodels' `1 / alpha`), positive.
      name: a name for the family.

    Example:
      >>> [float(v) for v in NegativeBinomial(total_count=2.)(0.0)]
      [1.0, 1.5, 1.0]

    """


class NegativeBinomialSoftplus(_SoftplusLink, _NegativeBinomialFamily):
    """`NegativeBinomial(total_count, probs=mean / (mean + total_count))`, `mean = softplus(r)`.

    Args:
      total_count: the dispersion parameter (statsmodels' `1 / alpha`), positive.
      name: a name for the family.

    Example:
      >>> round(float(NegativeBinomialSoftplus()(0.0)[2]), 6)
      0.5

    """

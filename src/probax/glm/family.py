"""`ExponentialFamily`: a GLM's response distribution and inverse link, as TFP's `tfp.glm` has it.

A family maps the predicted linear response `r = model_matrix @ model_coefficients (+ offset)`
to the response distribution's mean. Fisher scoring needs three numbers per observation,
returned by `family(r)`:

* `mean = h(r)`, with `h` the inverse link (TFP: "linear model to mean");
* `variance`, the response's variance at that mean;
* `grad_mean = h'(r)`.

`family.log_prob(response, r)` is the log-likelihood of each observation and
`family.as_distribution(r)` the probax distribution behind it.

Families are immutable pytrees: their array parameters (`total_count`, `scale`,
`concentration`) are leaves, so a family passes through `jit` and `vmap`; the name is static.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from probax._internal.shapes import pad_leading
from probax.distributions.distribution import Distribution


def _lower_snake(name: str) -> str:
    """`BernoulliNormalCDF` -> `bernoulli_normal_cdf` (TFP's default family names)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class ExponentialFamily:
    """Base class of GLM families: a mean-parameterized distribution with an inverse link.

    Subclasses declare their array parameters in `_parameter_names`, set `is_canonical`
    (whether the link is the canonical one, so that Fisher information equals the observed
    information) and `fixed_dispersion` (whether the family has no free dispersion, as for
    Bernoulli, Binomial, Poisson and NegativeBinomial), and implement `_as_distribution`.
    They may override `_call` with closed forms; the default differentiates the
    distribution's mean with `jax.jvp`.

    Args:
      name: a name for the family; defaults to the class name in lower snake case, as in TFP.

    """

    _parameter_names: ClassVar[tuple[str, ...]] = ()
    is_canonical: ClassVar[bool] = False
    fixed_dispersion: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_with_keys(
            cls, cls._tree_flatten_with_keys, cls._tree_unflatten, cls._tree_flatten
        )

    def __init__(self, name: str | None = None, **parameters: Any):
        unknown = set(parameters) - set(self._parameter_names)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected parameters {sorted(unknown)}.")
        for key in self._parameter_names:
            object.__setattr__(self, key, parameters.get(key))
        object.__setattr__(self, "name", name or _lower_snake(type(self).__name__))

    def __setattr__(self, key, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new family instead.")

    # ------------------------------------------------------------------ pytree
    def _static_fields(self) -> tuple:
        return (self.name,)

    def _tree_flatten(self):
        return tuple(getattr(self, k) for k in self._parameter_names), self._static_fields()

    def _tree_flatten_with_keys(self):
        children, statics = self._tree_flatten()
        keys = [jax.tree_util.GetAttrKey(k) for k in self._parameter_names]
        return list(zip(keys, children, strict=True)), statics

    @classmethod
    def _tree_unflatten(cls, statics, children):
        instance = object.__new__(cls)
        for key, child in zip(cls._parameter_names, children, strict=True):
            object.__setattr__(instance, key, child)
        instance._set_static_fields(statics)
        return instance

    def _set_static_fields(self, statics: tuple) -> None:
        (name,) = statics
        object.__setattr__(self, "name", name)

    # ------------------------------------------------------------------ public interface
    def __call__(self, predicted_linear_response) -> tuple[jax.Array, jax.Array, jax.Array]:
        """`(mean, variance, grad_mean)` of the response at the linear response `r`.

        Args:
          predicted_linear_response: `r = model_matrix @ model_coefficients (+ offset)`.

        Returns:
          mean: `h(r)`, the response's mean (`h` is the inverse link).
          variance: the response's variance at that mean.
          grad_mean: `h'(r)`, elementwise.

        """
        return self._call(_as_float_array(predicted_linear_response))

    def log_prob(self, response, predicted_linear_response) -> jax.Array:
        """Log-likelihood of each `response` given the linear response `r`.

        Args:
          response: observed responses.
          predicted_linear_response: linear responses, broadcasting with `response`.

        Returns:
          `as_distribution(r).log_prob(response)`, in the common floating dtype.

        """
        r = _as_float_array(predicted_linear_response)
        dtype = jnp.result_type(r, jnp.asarray(response))
        if not jnp.issubdtype(dtype, jnp.floating):
            dtype = r.dtype
        r = r.astype(dtype)
        return self._log_prob(jnp.asarray(response, dtype), r)

    def as_distribution(self, predicted_linear_response) -> Distribution:
        """The probax distribution of the response whose mean is `h(r)`."""
        return self._as_distribution(_as_float_array(predicted_linear_response))

    # ------------------------------------------------------------------ for subclasses
    def _cast(self, value, like: jax.Array) -> jax.Array:
        """A family parameter in the dtype and rank of the linear response.

        The dtype follows the linear response so that float32 fits stay float32; leading unit
        dimensions make the rank explicit (a per-observation `total_count` of shape `[N]`
        against a batch of linear responses `[B, N]`).
        """
        return pad_leading(jnp.asarray(value, like.dtype), like.ndim)

    def _as_distribution(self, r: jax.Array) -> Distribution:
        raise NotImplementedError(f"{type(self).__name__} does not implement `_as_distribution`.")

    def _call(self, r: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        def mean_fn(t):
            return self._as_distribution(t).mean()

        mean, grad_mean = jax.jvp(mean_fn, (r,), (jnp.ones_like(r),))
        return mean, self._as_distribution(r).variance(), grad_mean

    def _log_prob(self, response: jax.Array, r: jax.Array) -> jax.Array:
        return self._as_distribution(r).log_prob(response)

    def __repr__(self) -> str:
        return f"<probax.glm.{type(self).__name__} '{self.name}'>"


class CustomExponentialFamily(ExponentialFamily):
    """A GLM family from any distribution and inverse link function.

    The response is `distribution_fn(mean)` with `mean = linear_model_to_mean_fn(r)`;
    `grad_mean` comes from `jax.jvp` through both functions and `variance` from the
    distribution. Both functions are static (hashed by identity under `jit`): reuse one
    family object rather than building new lambdas in a loop.

    Args:
      distribution_fn: callable taking the mean array and returning a probax distribution
        with that mean (e.g. `lambda mean: tfd.Gamma(concentration=1., rate=1. / mean)`).
      linear_model_to_mean_fn: the inverse link, elementwise; a bijector-like object with a
        `forward` method is accepted too.
      name: a name for the family.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax import distributions as tfd
      >>> family = CustomExponentialFamily(lambda mean: tfd.Poisson(rate=mean), jnp.exp)
      >>> mean, variance, grad_mean = family(jnp.array([0.0, 1.0]))
      >>> [round(float(v), 4) for v in grad_mean]
      [1.0, 2.7183]

    """

    def __init__(
        self,
        distribution_fn: Callable[[jax.Array], Distribution],
        linear_model_to_mean_fn: Callable[[jax.Array], jax.Array],
        name: str | None = None,
    ):
        if not callable(distribution_fn):
            raise ValueError(
                f"CustomExponentialFamily: `distribution_fn` must be callable, got {distribution_fn!r}."
            )
        inverse_link = getattr(linear_model_to_mean_fn, "forward", linear_model_to_mean_fn)
        if not callable(inverse_link):
            raise ValueError(
                "CustomExponentialFamily: `linear_model_to_mean_fn` must be callable (or have a `forward` "
                f"method), got {linear_model_to_mean_fn!r}."
            )
        super().__init__(name=name)
        object.__setattr__(self, "distribution_fn", distribution_fn)
        object.__setattr__(self, "linear_model_to_mean_fn", inverse_link)

    def _static_fields(self) -> tuple:
        return (self.name, self.distribution_fn, self.linear_model_to_mean_fn)

    def _set_static_fields(self, statics: tuple) -> None:
        name, distribution_fn, inverse_link = statics
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "distribution_fn", distribution_fn)
        object.__setattr__(self, "linear_model_to_mean_fn", inverse_link)

    def _as_distribution(self, r):
        return self.distribution_fn(self.linear_model_to_mean_fn(r))


def _as_float_array(value) -> jax.Array:
    value = jnp.asarray(value)
    if not jnp.issubdtype(value.dtype, jnp.floating):
        value = value.astype(jnp.result_type(float))
    return value

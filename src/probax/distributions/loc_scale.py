"""The shared shape of families parameterized by a location and a positive scale."""

from __future__ import annotations

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties


class LocScaleDistribution(Distribution):
    """Base of `loc`/`scale` families: the constructor, the parameters and `z = (x - loc) / scale`.

    A subclass writes only its maths in terms of `self._z(x)`, `self.loc` and `self.scale`.
    """

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.real),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _z(self, x):
        return (x - self.loc) / self.scale

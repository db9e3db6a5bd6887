"""Default event-space bijectors: from the unconstrained reals onto a distribution's support.

MCMC and variational inference work in unconstrained space; a distribution's
`experimental_default_event_space_bijector()` maps R^n onto its support. The
choice follows the support's constraint, as in TFP: Identity for the real line,
Softplus (shifted to the lower bound) for half-lines, Sigmoid (scaled to the
ends) for intervals, SoftmaxCentered for the simplex. Discrete supports have none.
"""

from __future__ import annotations

from probax.bijectors.bijector import Bijector
from probax.distributions import constraints


def bijector_onto(constraint: constraints.Constraint | None, family: str) -> Bijector:
    """The bijector from unconstrained space onto the set `constraint` describes.

    Args:
      constraint: the support (None: the real line).
      family: the distribution's class name, for the error on discrete supports.

    Raises:
      NotImplementedError: for a discrete support.

    Example:
      >>> from probax.distributions import constraints
      >>> bijector_onto(constraints.positive, "Gamma").name
      'softplus'

    """
    from probax import bijectors as tfb

    if constraint is None or isinstance(constraint, constraints.Real):
        return tfb.Identity()
    if isinstance(constraint, constraints.IntegerInterval):
        raise NotImplementedError(f"{family} is discrete: it has no default event-space bijector.")
    if isinstance(constraint, constraints.GreaterThan | constraints.GreaterThanEq):
        if _is_literal(constraint.lower, 0.0):
            return tfb.Softplus()
        return tfb.Chain([tfb.Shift(constraint.lower), tfb.Softplus()])
    if isinstance(constraint, constraints.Interval):
        if _is_literal(constraint.lower, 0.0) and _is_literal(constraint.upper, 1.0):
            return tfb.Sigmoid()
        return tfb.Sigmoid(low=constraint.lower, high=constraint.upper)
    if isinstance(constraint, constraints.Simplex):
        return tfb.SoftmaxCentered()
    raise NotImplementedError(
        f"{family}: no default event-space bijector for support {constraint.description!r}."
    )


def _is_literal(value, number: float) -> bool:
    """True for the Python number itself (a fixed bound), never for a parameter array."""
    return isinstance(value, int | float) and value == number

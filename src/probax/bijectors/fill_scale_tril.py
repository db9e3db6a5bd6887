"""FillScaleTriL: unconstrained vectors to lower-triangular matrices with a positive diagonal."""

from __future__ import annotations

from probax.bijectors.bijector import Bijector
from probax.bijectors.chain import Chain
from probax.bijectors.fill_triangular import FillTriangular
from probax.bijectors.shift import Shift
from probax.bijectors.softplus import Softplus
from probax.bijectors.transform_diagonal import TransformDiagonal


class FillScaleTriL(Chain):
    """Packs a vector into a lower-triangular matrix and makes its diagonal positive (TFP's chain).

    `FillScaleTriL(g, c) = Chain([TransformDiagonal(Chain([Shift(c), g])), FillTriangular()])`:
    the vector of n(n+1)/2 reals is laid out by `FillTriangular` and each diagonal entry d
    becomes g(d) + c, so the result is a valid `scale_tril` (a Cholesky factor). The
    log-determinant, in the free coordinates (the lower triangle), is the sum of g's log-det
    over the diagonal.

    Args:
      diag_bijector: g, mapping reals to positive reals; default `Softplus()`.
      diag_shift: c, a small positive number added to the diagonal after g (keeps it away
        from 0); None adds nothing.
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Exp, FillScaleTriL
      >>> FillScaleTriL(Exp(), diag_shift=None).forward(jnp.array([0., 2., 0.])).tolist()
      [[1.0, 0.0], [2.0, 1.0]]

    """

    def __init__(self, diag_bijector: Bijector | None = None, diag_shift=1e-5, validate_args: bool = False,
                 name: str | None = None):
        if diag_bijector is None:
            diag_bijector = Softplus(validate_args=validate_args)
        if diag_shift is not None:
            diag_bijector = Chain([Shift(diag_shift, validate_args=validate_args), diag_bijector])
        super().__init__([TransformDiagonal(diag_bijector, validate_args=validate_args),
                          FillTriangular(validate_args=validate_args)],
                         validate_args=validate_args, name=name or "fill_scale_tril")

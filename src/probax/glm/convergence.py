"""When Fisher scoring stops: TFP's `convergence_criteria_small_relative_norm_weights_change`."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class SmallRelativeNormWeightsChange:
    """Converged once `||w0 - w1|| / (1 + ||w0||) < tolerance` for every problem in the batch.

    `w0` and `w1` are the coefficients before and after a Fisher scoring step. The first
    step never counts as converged (as in TFP). Instances are frozen and compare by value,
    so `jit` caches one compilation per distinct `(tolerance, norm_order)`.

    Attributes:
      tolerance: the threshold on the relative change.
      norm_order: order of the vector norm (`jnp.linalg.norm`'s `ord`).

    """

    tolerance: float = 1e-5
    norm_order: float = 2

    def __call__(
        self,
        is_converged_previous,
        iter_,
        model_coefficients_previous,
        predicted_linear_response_previous,
        model_coefficients_next,
        predicted_linear_response_next,
        response,
        model,
        dispersion,
    ) -> jax.Array:
        """Whether fitting has converged (a scalar bool), given the last step's before and after.

        Only `iter_` and the coefficients are used; the other arguments are part of TFP's
        criterion signature.
        """
        del is_converged_previous, predicted_linear_response_previous, predicted_linear_response_next
        del response, model, dispersion
        change = jnp.linalg.norm(
            model_coefficients_previous - model_coefficients_next, ord=self.norm_order, axis=-1
        )
        size = jnp.linalg.norm(model_coefficients_previous, ord=self.norm_order, axis=-1)
        return (iter_ > 0) & jnp.all(change / (1 + size) < self.tolerance)


def convergence_criteria_small_relative_norm_weights_change(
    tolerance: float = 1e-5, norm_order: float = 2
) -> SmallRelativeNormWeightsChange:
    """TFP's default Fisher-scoring stopping rule: a small relative change of the coefficients.

    With `w0, w1` the coefficients before and after a step, fitting has converged when
    `norm(w0 - w1, ord=norm_order) / (1 + norm(w0, ord=norm_order)) < tolerance` for every
    problem in the batch (and at least one step was taken).

    Args:
      tolerance: threshold on the relative change; 1e-5 as in TFP.
      norm_order: order of the norm; 2 (Euclidean) as in TFP.

    Returns:
      A callable with TFP's `convergence_criteria_fn` signature (keyword arguments
      `is_converged_previous, iter_, model_coefficients_previous,
      predicted_linear_response_previous, model_coefficients_next,
      predicted_linear_response_next, response, model, dispersion`) returning a bool scalar.

    Example:
      >>> import jax.numpy as jnp
      >>> criterion = convergence_criteria_small_relative_norm_weights_change(tolerance=1e-3)
      >>> bool(criterion(False, 3, jnp.ones(2), None, jnp.ones(2) * 1.0001, None, None, None, None))
      True

    """
    return SmallRelativeNormWeightsChange(tolerance=tolerance, norm_order=norm_order)

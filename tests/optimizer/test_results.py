import pytest

from probax import optimizer

# TFP's field lists (tensorflow_probability/python/optimizer/*.py), the contract users port against.
TFP_FIELDS = {
    optimizer.LBfgsOptimizerResults: (
        "converged",
        "failed",
        "num_iterations",
        "num_objective_evaluations",
        "position",
        "objective_value",
        "objective_gradient",
        "position_deltas",
        "gradient_deltas",
    ),
    optimizer.BfgsOptimizerResults: (
        "converged",
        "failed",
        "num_iterations",
        "num_objective_evaluations",
        "position",
        "objective_value",
        "objective_gradient",
        "inverse_hessian_estimate",
        "scale_initial_inverse_hessian",
    ),
    optimizer.NelderMeadOptimizerResults: (
        "converged",
        "num_objective_evaluations",
        "position",
        "objective_value",
        "final_simplex",
        "final_objective_values",
        "initial_simplex",
        "initial_objective_values",
        "num_iterations",
    ),
    optimizer.DifferentialEvolutionOptimizerResults: (
        "converged",
        "failed",
        "position",
        "objective_value",
        "final_population",
        "final_objective_values",
        "initial_population",
        "initial_objective_values",
        "num_iterations",
    ),
}


@pytest.mark.parametrize("results_type", list(TFP_FIELDS), ids=lambda t: t.__name__)
def test_fields_are_tfps_in_tfps_order(results_type):
    tfp_fields = TFP_FIELDS[results_type]
    assert results_type._fields[: len(tfp_fields)] == tfp_fields
    # The one addition: differential evolution also counts its evaluations.
    assert results_type._fields[len(tfp_fields) :] in ((), ("num_objective_evaluations",))

import hypothesis.strategies as st
import numpy as np
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="normal",
        make=tfd.Normal,
        reference=lambda loc, scale: scipy.stats.norm(loc, scale),
        params=dict(loc=np.array([0.0, -1.5, 30.0]), scale=np.array([1.0, 0.3, 7.0])),
        expected_mode=lambda loc, scale: loc,
        wide=dict(
            loc=st.floats(-1e6, 1e6),
            scale=st.floats(1e-30, 1e30).filter(lambda s: s > 0),
        ),
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)

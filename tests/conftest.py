"""Test-wide JAX settings: 8 fake CPU devices, strict rank promotion, float64 available.

float64 is switched on so scipy oracles can be matched to ~1e-7; float32 cases
pass explicit float32 arrays, which stay float32 under x64.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

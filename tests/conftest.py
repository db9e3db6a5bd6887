"""Test-wide JAX settings: 8 fake CPU devices, strict rank promotion, float64 available, fast compiles.

float64 is switched on so scipy oracles can be matched to ~1e-7; float32 cases
pass explicit float32 arrays, which stay float32 under x64.

Most of the suite's time is XLA compiling many small programs once each, so the
default run asks XLA to compile quickly (legacy CPU emitters, no backend
optimization passes): measured on the StudentT oracle tests, 39 s -> 16 s, and
the whole default run 22.8 -> 9.9 minutes on 2 cores. XLA's CPU backend does not
reassociate floating point at any level; only the last bits of transcendental
functions may differ between emitters. A defect that only shows under
optimization would hide here, so `make test-slow` (the far-tail precision
tests) runs with XLA's default compilation (PROBAX_TEST_DEFAULT_XLA=1).
"""

import os

_FAST_COMPILE = (
    " --xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0"
    " --xla_llvm_disable_expensive_passes=true"
)
_flags = "--xla_force_host_platform_device_count=8"
if not os.environ.get("PROBAX_TEST_DEFAULT_XLA"):
    _flags += _FAST_COMPILE
os.environ.setdefault("XLA_FLAGS", _flags)

import jax  # noqa: E402 -- XLA_FLAGS must be set before JAX starts

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

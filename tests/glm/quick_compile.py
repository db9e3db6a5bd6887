"""Compiler options for the tests' own jitted programs.

These programs are compiled once and run on small data: XLA's backend (LLVM) optimizations
would cost more compile time, up to half of it, than they save in run time. The computation
and its float results are the same; only the machine-code optimization is skipped.
"""

QUICK_COMPILE = {"xla_backend_optimization_level": 0}

"""Every docstring example in the library runs and prints what it says."""

import doctest
import importlib
import pkgutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import probax
from probax import (
    _internal,
    bijectors,
    datasets,
    distributions,
    glm,
    layers,
    math,
    mcmc,
    metrics,
    optimizer,
    training,
    vi,
)

PACKAGES = [
    _internal, distributions, bijectors, math, datasets, glm, layers, mcmc, metrics, optimizer, training, vi
]
MODULES = sorted(
    [
        f"{package.__name__}.{info.name}"
        for package in PACKAGES
        for info in pkgutil.iter_modules(package.__path__)
    ]
    + ["probax", "probax.persistence", *(package.__name__ for package in PACKAGES)]
)


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    globs = {"jax": jax, "jnp": jnp, "np": np, "px": probax, **vars(module)}
    result = doctest.testmod(
        module, globs=globs, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True
    )
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"

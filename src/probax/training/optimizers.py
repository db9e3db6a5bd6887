"""Keras' optimizer names (`optimizer="adam"`) as optax transformations with Keras' defaults."""

from __future__ import annotations

import functools

import optax

# Keras' default learning rates and epsilon (added outside the square root, as Keras does).
_KERAS_DEFAULTS = {
    "adam": lambda: optax.adam(1e-3, eps=1e-7),
    "adamw": lambda: optax.adamw(1e-3, eps=1e-7, weight_decay=0.004),
    "rmsprop": lambda: optax.rmsprop(1e-3, decay=0.9, eps=1e-7, eps_in_sqrt=False),
    "sgd": lambda: optax.sgd(1e-2),
}


@functools.cache
def _named(name: str) -> optax.GradientTransformation:
    # Cached so that repeated `fit` calls see the same object and reuse their compiled program.
    return _KERAS_DEFAULTS[name]()


def as_optimizer(optimizer, caller: str) -> optax.GradientTransformation:
    """An optax transformation, or one of Keras' names ('adam', 'adamw', 'rmsprop', 'sgd').

    Example:
      >>> isinstance(as_optimizer("adam", "fit"), optax.GradientTransformation)
      True

    """
    if isinstance(optimizer, str):
        if optimizer.lower() not in _KERAS_DEFAULTS:
            raise ValueError(
                f"{caller}: unknown optimizer name {optimizer!r}; use one of {sorted(_KERAS_DEFAULTS)} "
                "or pass an optax transformation."
            )
        return _named(optimizer.lower())
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            f"{caller}: optimizer must be an optax.GradientTransformation or a name such as 'adam', "
            f"got {type(optimizer).__name__}."
        )
    return optimizer

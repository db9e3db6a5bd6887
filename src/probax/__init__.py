"""probax: probabilistic deep learning on JAX with TensorFlow Probability's names.

Example:
  >>> import probax as px
  >>> tfd = px.distributions
  >>> d = tfd.Normal(loc=0., scale=1.)
  >>> x = d.sample(seed=0)
  >>> px_ = d.prob(x)

"""

from probax import (
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
from probax.persistence import load, save
from probax.training import evaluate, fit, nll, predict

__all__ = [
    "bijectors",
    "datasets",
    "distributions",
    "evaluate",
    "fit",
    "glm",
    "layers",
    "load",
    "math",
    "mcmc",
    "metrics",
    "nll",
    "optimizer",
    "predict",
    "save",
    "training",
    "vi",
]
__version__ = "0.1.0"

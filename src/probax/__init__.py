"""probax: probabilistic deep learning on JAX with TensorFlow Probability's names.

Example:
  >>> import probax as px
  >>> tfd = px.distributions
  >>> d = tfd.Normal(loc=0., scale=1.)
  >>> x = d.sample(seed=0)
  >>> px_ = d.prob(x)

"""

from probax import bijectors, distributions, glm, math, optimizer

__all__ = ["bijectors", "distributions", "glm", "math", "optimizer"]
__version__ = "0.1.0"

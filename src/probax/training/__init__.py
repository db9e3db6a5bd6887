"""Training NNX models whose output is a distribution: `fit`, `evaluate`, `predict`, callbacks.

Example:
  >>> from probax import training
  >>> sorted(name for name in training.__all__ if name[0].islower())
  ['evaluate', 'fit', 'nll', 'predict', 'regularization_loss']

"""

from probax.training.callbacks import Callback, EarlyStopping
from probax.training.evaluation import evaluate, predict
from probax.training.fit import fit
from probax.training.history import History
from probax.training.losses import RegularizationLoss, nll, regularization_loss

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "RegularizationLoss",
    "evaluate",
    "fit",
    "nll",
    "predict",
    "regularization_loss",
]

"""Bijectors: invertible, differentiable maps with log-determinants (TFP's `tfb`).

Example:
  >>> import probax as px
  >>> tfb = px.bijectors
  >>> chain = tfb.Chain([tfb.Exp(), tfb.Shift(1.)])
  >>> round(float(chain.forward(0.)), 4)
  2.7183

"""

from probax.bijectors.ascending import Ascending, Ordered
from probax.bijectors.autoregressive_network import AutoregressiveNetwork
from probax.bijectors.batch_normalization import BatchNormalization, BatchNormalizationStatistics
from probax.bijectors.bijector import Bijector
from probax.bijectors.blockwise import Blockwise
from probax.bijectors.chain import Chain
from probax.bijectors.cholesky_outer_product import CholeskyOuterProduct
from probax.bijectors.correlation_cholesky import CorrelationCholesky
from probax.bijectors.exp import Exp, Log
from probax.bijectors.fill_scale_tril import FillScaleTriL
from probax.bijectors.fill_triangular import FillTriangular
from probax.bijectors.identity import Identity
from probax.bijectors.invert import Invert
from probax.bijectors.joint_map import JointMap
from probax.bijectors.masked_autoregressive_flow import MaskedAutoregressiveFlow
from probax.bijectors.normal_cdf import NormalCDF
from probax.bijectors.permute import Permute
from probax.bijectors.power import Power
from probax.bijectors.rational_quadratic_spline import RationalQuadraticSpline
from probax.bijectors.real_nvp import RealNVP
from probax.bijectors.reciprocal import Reciprocal
from probax.bijectors.reshape import Reshape
from probax.bijectors.scale import Scale
from probax.bijectors.scale_matvec_diag import ScaleMatvecDiag
from probax.bijectors.scale_matvec_tril import ScaleMatvecTriL
from probax.bijectors.shift import Shift
from probax.bijectors.sigmoid import Sigmoid
from probax.bijectors.sinh_arcsinh import SinhArcsinh
from probax.bijectors.softmax_centered import SoftmaxCentered
from probax.bijectors.softplus import Softplus
from probax.bijectors.split import Split
from probax.bijectors.square import Square
from probax.bijectors.tanh import Tanh
from probax.bijectors.transform_diagonal import TransformDiagonal

__all__ = [
    "Ascending",
    "AutoregressiveNetwork",
    "BatchNormalization",
    "BatchNormalizationStatistics",
    "Bijector",
    "Blockwise",
    "Chain",
    "CholeskyOuterProduct",
    "CorrelationCholesky",
    "Exp",
    "FillScaleTriL",
    "FillTriangular",
    "Identity",
    "Invert",
    "JointMap",
    "Log",
    "MaskedAutoregressiveFlow",
    "NormalCDF",
    "Ordered",
    "Permute",
    "Power",
    "RationalQuadraticSpline",
    "RealNVP",
    "Reciprocal",
    "Reshape",
    "Scale",
    "ScaleMatvecDiag",
    "ScaleMatvecTriL",
    "Shift",
    "Sigmoid",
    "SinhArcsinh",
    "SoftmaxCentered",
    "Softplus",
    "Split",
    "Square",
    "Tanh",
    "TransformDiagonal",
]

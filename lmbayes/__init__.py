"""lmbayes: a Bayesian network for leptomeningeal metastasis (LM) and serial CSF cytology.

For planning and teaching; not a medical device.

>>> import lmbayes
>>> net = lmbayes.load_network()
>>> round(net.posterior({"mri": "typical_enhancement"}).p_target, 4)
0.0405
"""

from lmbayes._loader import load_spec
from lmbayes.calibration import Calibration, calibrate
from lmbayes.errors import FindingError, ImpossibleEvidenceError, LmbayesError, NetworkFileError
from lmbayes.network import Network, Posterior, load_network
from lmbayes.spec import NetworkSpec
from lmbayes.taps import TapStep, TapTable

__all__ = [
    "Calibration",
    "FindingError",
    "ImpossibleEvidenceError",
    "LmbayesError",
    "Network",
    "NetworkFileError",
    "NetworkSpec",
    "Posterior",
    "TapStep",
    "TapTable",
    "calibrate",
    "load_network",
    "load_spec",
]

"""lmbayes: a Bayesian network for leptomeningeal metastasis (LM) and serial CSF cytology.

For planning and teaching; not a medical device.

>>> import lmbayes
>>> net = lmbayes.load_network()
>>> round(net.posterior({"mri": "typical_enhancement"}).p_target, 4)
0.0884
"""

from pathlib import Path as _Path

# In a source checkout cli/ and networks/ sit beside lmbayes/ (pyproject.toml maps them to
# lmbayes.cli and lmbayes.networks on install); importing from the checkout finds them there.
_source = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).parent / "networks").is_dir() and (_source / "networks" / "__init__.py").is_file():
    __path__.append(str(_source))

from lmbayes._loader import load_spec  # noqa: E402
from lmbayes.calibration import Calibration, calibrate  # noqa: E402
from lmbayes.errors import (  # noqa: E402
    FindingError,
    ImpossibleEvidenceError,
    InputError,
    LmbayesError,
    NetworkFileError,
)
from lmbayes.findings import Findings  # noqa: E402
from lmbayes.network import Network, Posterior, load_network  # noqa: E402
from lmbayes.spec import NetworkSpec  # noqa: E402
from lmbayes.taps import TapStep, TapTable  # noqa: E402

__all__ = [
    "Calibration",
    "FindingError",
    "Findings",
    "ImpossibleEvidenceError",
    "InputError",
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

"""lmbayes: a Bayesian network for leptomeningeal metastasis (LM) and serial CSF cytology.

For planning and teaching; not a medical device.

>>> import lmbayes
>>> net = lmbayes.load_network()
>>> round(net.posterior({"mri": "typical_enhancement"}).p_target, 4)
0.2001
"""

import importlib
import importlib.util
from pathlib import Path as _Path
from typing import TYPE_CHECKING, Any

# In a source checkout cli/ and networks/ sit beside lmbayes/ (pyproject.toml maps them to
# lmbayes.cli and lmbayes.networks on install); importing from the checkout finds them there.
_source = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).parent / "networks").is_dir() and (_source / "networks" / "__init__.py").is_file():
    __path__.append(str(_source))

# The names below load on first use (PEP 562): `import lmbayes` alone costs nothing, so that the
# command's entry point (lmbayes.cli:main) is running, and can end a Ctrl-C quietly, before
# numpy and the rest load.
_EXPORTS = {
    "load_spec": "lmbayes._loader",
    "Calibration": "lmbayes.calibration",
    "calibrate": "lmbayes.calibration",
    "FindingError": "lmbayes.errors",
    "ImpossibleEvidenceError": "lmbayes.errors",
    "InputError": "lmbayes.errors",
    "LmbayesError": "lmbayes.errors",
    "NetworkFileError": "lmbayes.errors",
    "Findings": "lmbayes.findings",
    "Network": "lmbayes.network",
    "Posterior": "lmbayes.network",
    "load_network": "lmbayes.network",
    "NetworkSpec": "lmbayes.spec",
    "TapStep": "lmbayes.taps",
    "TapTable": "lmbayes.taps",
}

if TYPE_CHECKING:
    from lmbayes._loader import load_spec
    from lmbayes.calibration import Calibration, calibrate
    from lmbayes.errors import FindingError, ImpossibleEvidenceError, InputError, LmbayesError, NetworkFileError
    from lmbayes.findings import Findings
    from lmbayes.network import Network, Posterior, load_network
    from lmbayes.spec import NetworkSpec
    from lmbayes.taps import TapStep, TapTable


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")  # a module: lmbayes.uncertainty
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


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

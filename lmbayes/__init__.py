"""lmbayes: a Bayesian network for leptomeningeal metastasis (LM) and serial CSF cytology.

For planning and teaching; not a medical device.

>>> import lmbayes
>>> net = lmbayes.load_network()
>>> round(net.posterior({"mri": "typical_enhancement"}).p_target, 4)
0.2001
"""

import sys as _sys

if _sys.argv and _sys.argv[0].replace("\\", "/").rsplit("/", 1)[-1] in ("lmbayes", "lmbayes.exe", "lmbayes-script.py"):
    # Running as the `lmbayes` command: a Ctrl-C while the rest loads ends it with one line
    # and exit code 130, as one later does (lmbayes.cli.main restores Python's own handler
    # before any work is done). A library import is not the command and changes nothing.
    import signal as _signal

    def _interrupted_while_loading(signum: int, frame: object) -> None:
        import os

        os.write(2, b"\nInterrupted.\n")
        os._exit(130)

    _signal.signal(_signal.SIGINT, _interrupted_while_loading)

import importlib
import importlib.util
from pathlib import Path as _Path
from typing import TYPE_CHECKING, Any

# cli/ and networks/ sit beside lmbayes/ in the source tree; pyproject.toml maps them to
# lmbayes.cli and lmbayes.networks when the package is installed (a regular or an editable
# install, `pip install -e .`): lmbayes runs as installed, never from the tree's folders.

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
    elif name in ("networks", "cli"):  # installed from networks/ and cli/ beside lmbayes/
        raise ImportError(
            f"this lmbayes ({_Path(__file__).parent}) has no {name}: Python took a source checkout's "
            "lmbayes/ folder, whose networks/ and cli/ are installed into the package; use lmbayes "
            "from another folder, or install with pip install -e ."
        )
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

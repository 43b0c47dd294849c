"""``python -m lmbayes``: the command line."""

import sys

try:
    from lmbayes.cli import main
except ModuleNotFoundError as exc:  # pragma: no cover - depends on where Python is started
    if exc.name != "lmbayes.cli":
        raise
    # Started in a source checkout with a regular install: Python puts the folder first on its
    # path, so `lmbayes` is the checkout's lmbayes/, and cli/ installs as lmbayes.cli only.
    sys.stderr.write(
        "Error: this folder's lmbayes/ has no command line (cli/ is installed as lmbayes.cli); "
        "run `lmbayes` instead, or `python -m lmbayes` from another folder, or install with "
        "pip install -e .\n"
    )
    sys.exit(2)

if __name__ == "__main__":
    main()

"""``python -m lmbayes``: the command line."""

from lmbayes.cli import main

if __name__ == "__main__":
    main()

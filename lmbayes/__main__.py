"""``python -m lmbayes``: the command line."""

from lmbayes.cli.main import cli

if __name__ == "__main__":
    cli(prog_name="lmbayes")

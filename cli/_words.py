"""The command line's fixed sentences (no imports: `lmbayes --help` loads this and click only)."""

DISCLAIMER = "For planning and teaching; not a medical device."
EPILOG = f"{DISCLAIMER} Sources of every number: `lmbayes network show`."

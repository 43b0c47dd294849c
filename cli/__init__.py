"""The ``lmbayes`` command-line application (installed as ``lmbayes.cli``)."""

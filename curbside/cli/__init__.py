"""Layer 5: operators' command lines (``python -m curbside.cli.NAME``, or ``curbside-NAME``)."""

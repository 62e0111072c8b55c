"""What `pip install .` puts on a machine: the wheel built from the tracked files."""

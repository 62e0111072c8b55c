"""Service settings (validated once at start-up) and the shipped demo files."""

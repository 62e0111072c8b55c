"""Unit tests of the HTTP API, with an injected live state and no services."""

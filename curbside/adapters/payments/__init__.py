"""Payment channels: their signing keys."""

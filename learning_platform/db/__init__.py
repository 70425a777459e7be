"""Database backends: Django's own, with learning_platform.versions mixed in."""

"""CLI of `repo-migrate explain` (registered on import)."""

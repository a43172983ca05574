"""CLI of `repo-migrate mono-to-separate` (registered on import)."""

"""CLI of `repo-migrate separate-to-mono` (registered on import)."""

"""CLI of `repo-migrate add-region` (registered on import)."""

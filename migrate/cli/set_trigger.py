"""CLI of `repo-migrate set-trigger` (registered on import)."""

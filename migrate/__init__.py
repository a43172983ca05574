"""repo-migrate: move a customer repository between the provider's repository patterns."""

__version__ = "0.1.0"

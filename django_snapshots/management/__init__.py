"""Management commands and CLI helpers of the core app."""

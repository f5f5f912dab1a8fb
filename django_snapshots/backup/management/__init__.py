"""Management plugins of the backup app."""

"""Management plugins of the restore app."""

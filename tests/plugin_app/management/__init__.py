"""Management plugins of the notes app."""

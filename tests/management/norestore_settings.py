"""Settings for subprocess runs of a production-like host: no ``django_snapshots.restore``."""

from __future__ import annotations

from tests.example import settings as _example

globals().update({key: value for key, value in vars(_example).items() if key.isupper()})

MEDIA_ROOT = str(_example.VAR_DIR / "media")
NOTES_FILE = str(_example.VAR_DIR / "notes.txt")
INSTALLED_APPS = [
    app
    for app in [*_example.INSTALLED_APPS, "tests.plugin_app"]
    if app != "django_snapshots.restore"
]

"""Settings for subprocess runs: the example project with media in the var dir and the notes plugin.

It also installs ``django_typer`` so ``manage.py shellcompletion`` can be exercised.
"""

from __future__ import annotations

from tests.example import settings as _example

globals().update({key: value for key, value in vars(_example).items() if key.isupper()})

MEDIA_ROOT = str(_example.VAR_DIR / "media")
NOTES_FILE = str(_example.VAR_DIR / "notes.txt")
INSTALLED_APPS = [*_example.INSTALLED_APPS, "tests.plugin_app", "django_typer"]

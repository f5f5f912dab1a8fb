"""The example project plus the ``flaky`` artifact, and MAX_AGE from the environment.

``SNAPSHOTS_TEST_MAX_AGE`` (an ISO-8601 duration) sets ``SNAPSHOTS["MAX_AGE"]``.
"""

from __future__ import annotations

import os

from tests.example import settings as _example

globals().update({key: value for key, value in vars(_example).items() if key.isupper()})

MEDIA_ROOT = str(_example.VAR_DIR / "media")
FLAKY_FILE = str(_example.VAR_DIR / "flaky.txt")
FLAKY_MODE = str(_example.VAR_DIR / "flaky-mode")
FLAKY_MARKER = str(_example.VAR_DIR / "flaky-importing")
INSTALLED_APPS = [*_example.INSTALLED_APPS, "tests.management.flaky_app"]
SNAPSHOTS = {
    **_example.SNAPSHOTS,
    **(
        {"MAX_AGE": os.environ["SNAPSHOTS_TEST_MAX_AGE"]}
        if os.environ.get("SNAPSHOTS_TEST_MAX_AGE")
        else {}
    ),
}

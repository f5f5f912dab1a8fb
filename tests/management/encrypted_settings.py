"""Settings for subprocess runs with public-key encryption; keys come from the environment."""

from __future__ import annotations

import os

from tests.example.settings import SNAPSHOTS as _PLAIN
from tests.management.cli_settings import *  # noqa: F403 - the example project's settings

SNAPSHOTS = {
    **_PLAIN,
    "ENCRYPTION": {
        "BACKEND": "django_snapshots.encryption.AgeEncryption",
        "OPTIONS": {
            "recipients": [os.environ["SNAPSHOTS_TEST_RECIPIENT"]],
            "identities": [os.environ["SNAPSHOTS_TEST_IDENTITY"]],
            "signing_key": os.environ["SNAPSHOTS_TEST_SIGNING_KEY"],
        },
    },
}

"""The flaky example project plus a PostgreSQL alias ``pg`` (never connected to by the tests)."""

from __future__ import annotations

from tests.example import settings as _example
from tests.management import flaky_settings as _flaky

globals().update({key: value for key, value in vars(_flaky).items() if key.isupper()})

DATABASES = {
    **_example.DATABASES,
    "pg": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "snapshots_preflight",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
    },
}

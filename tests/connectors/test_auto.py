"""Connector selection: engine mapping, settings and explicit overrides, loading by path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from django_snapshots.connectors.auto import (
    FALLBACK_CONNECTOR,
    auto_connector_path,
    connector_path,
    get_connector,
    load_connector,
)
from django_snapshots.connectors.dumpdata import DjangoDumpDataConnector
from django_snapshots.connectors.sqlite import SQLiteConnector
from django_snapshots.exceptions import SnapshotConnectorError


class NotAConnector:
    """Has a dump method of the wrong shape and no restore."""

    def dump(self, alias: str) -> None:
        """Do nothing."""


class CustomConnector:
    """A third-party connector that records nothing."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Write an empty dump."""
        dest.write_bytes(b"")
        return {"format": "custom"}

    def restore(self, db_alias: str, src: Path) -> None:
        """Accept any dump."""


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("django.db.backends.sqlite3", "django_snapshots.connectors.sqlite.SQLiteConnector"),
        ("django.db.backends.postgresql", "django_snapshots.connectors.postgres.PostgresConnector"),
        (
            "django.contrib.gis.db.backends.postgis",
            "django_snapshots.connectors.postgres.PostgresConnector",
        ),
        ("django.db.backends.mysql", "django_snapshots.connectors.mysql.MySQLConnector"),
        ("django.db.backends.oracle", FALLBACK_CONNECTOR),
        ("mssql", FALLBACK_CONNECTOR),
    ],
)
def test_engine_selects_its_connector(engine: str, expected: str) -> None:
    """Each ENGINE maps to its native connector, and unknown engines to dumpdata."""
    assert auto_connector_path(engine) == expected


def test_sqlite_alias_gets_the_sqlite_connector() -> None:
    """The example project's SQLite alias is dumped with SQLiteConnector by default."""
    assert isinstance(get_connector("default"), SQLiteConnector)


def test_unknown_alias_is_named() -> None:
    """Asking for an alias missing from DATABASES raises naming it and the known ones."""
    with pytest.raises(SnapshotConnectorError, match=r"'replica'.*default"):
        get_connector("replica")


def test_explicit_override_wins(settings: Settings) -> None:
    """A dotted path or instance given explicitly beats settings and auto-selection."""
    settings.SNAPSHOTS = {
        "DATABASE_CONNECTORS": {"default": "tests.connectors.test_auto.CustomConnector"}
    }
    by_path = get_connector("default", "django_snapshots.connectors.DjangoDumpDataConnector")
    assert isinstance(by_path, DjangoDumpDataConnector)
    instance = SQLiteConnector(pages_per_step=7)
    assert get_connector("default", instance) is instance


def test_setting_overrides_auto_selection(settings: Settings) -> None:
    """DATABASE_CONNECTORS names the connector of an alias; "auto" keeps the default."""
    settings.SNAPSHOTS = {
        "DATABASE_CONNECTORS": {"default": "tests.connectors.test_auto.CustomConnector"}
    }
    assert isinstance(get_connector("default"), CustomConnector)
    settings.SNAPSHOTS = {"DATABASE_CONNECTORS": {"default": "auto"}}
    assert isinstance(get_connector("default"), SQLiteConnector)


def test_recorded_paths_of_0_1_0b1_load_this_projects_classes() -> None:
    """The connector paths 0.1.0b1 wrote into manifests resolve to these connectors."""
    sqlite = load_connector("django_snapshots.connectors.sqlite.SQLiteConnector")
    dumpdata = load_connector("django_snapshots.connectors.dumpdata.DjangoDumpDataConnector")
    assert isinstance(sqlite, SQLiteConnector)
    assert isinstance(dumpdata, DjangoDumpDataConnector)
    assert connector_path(sqlite) == "django_snapshots.connectors.sqlite.SQLiteConnector"


def test_missing_module_raises_a_connector_error() -> None:
    """A recorded connector whose module is absent fails with a clear connector error."""
    with pytest.raises(SnapshotConnectorError, match=r"cannot import connector 'nowhere.Thing'"):
        load_connector("nowhere.Thing")


def test_non_conforming_object_is_refused() -> None:
    """A class whose methods do not match the protocol is not accepted as a connector."""
    with pytest.raises(SnapshotConnectorError, match="not a DatabaseConnector"):
        load_connector("tests.connectors.test_auto.NotAConnector")


def test_0_1_0b1_helper_names_still_work() -> None:
    """get_connector_class and get_connector_for_alias keep their 0.1.0b1 meaning."""
    from django_snapshots.connectors import get_connector_class, get_connector_for_alias

    assert get_connector_class("django.db.backends.sqlite3") is SQLiteConnector
    assert get_connector_class("some.custom.engine") is DjangoDumpDataConnector
    assert isinstance(get_connector_for_alias("default"), SQLiteConnector)

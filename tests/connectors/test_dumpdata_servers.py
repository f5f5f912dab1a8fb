"""DjangoDumpDataConnector on the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from django_snapshots.connectors.dumpdata import DjangoDumpDataConnector
from django_snapshots.exceptions import SnapshotConnectorError
from tests.example.shop.models import Customer, Order


def _state(alias: str) -> list[tuple[int, str, list[int]]]:
    orders = Order.objects.using(alias)
    return [
        (c.pk, c.name, sorted(orders.filter(customer=c).values_list("total_cents", flat=True)))
        for c in Customer.objects.using(alias).order_by("pk")
    ]


def _round_trip(alias: str, tmp_path: Path) -> None:
    """Migrate ``alias``, dump it, change it, restore it, and check a failed load rolls back."""
    # shop's 0002 seeds "default" whatever the alias: migrate shop only to 0001.
    for app in ("contenttypes", "auth", "admin", "sessions", "snapshots"):
        call_command("migrate", app, database=alias, verbosity=0)
    call_command("migrate", "shop", "0001", database=alias, verbosity=0)
    customer = Customer.objects.using(alias).create(name="Zoë 🦄", email="zoe@example.com")
    Order.objects.using(alias).create(
        customer=customer, total_cents=4200, placed_at=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    before = _state(alias)
    dump = tmp_path / "db.sql"
    assert DjangoDumpDataConnector().dump(alias, dump) == {"format": "jsonl"}

    Order.objects.using(alias).all().delete()
    Customer.objects.using(alias).create(name="intruder", email="intruder@example.com")
    DjangoDumpDataConnector().restore(alias, dump)
    assert _state(alias) == before
    new = Customer.objects.using(alias).create(name="next", email="next@example.com")
    assert new.pk > max(pk for pk, _, _ in before)  # sequences were reset past the dump

    broken = tmp_path / "broken.sql"
    broken.write_text(
        dump.read_text(encoding="utf-8")
        + '{"model": "shop.order", "pk": 999, "fields": {"customer": 123456}}\n',
        encoding="utf-8",
    )
    after_new = _state(alias)
    with pytest.raises(SnapshotConnectorError, match="loaddata"):
        DjangoDumpDataConnector().restore(alias, broken)
    assert _state(alias) == after_new


@pytest.mark.postgres
def test_postgres_round_trip_and_atomic_restore(
    postgres_alias: str, tmp_path: Path, django_db_blocker: Any
) -> None:
    """On PostgreSQL, dumpdata restores rows and keys; a failed load keeps the old rows."""
    with django_db_blocker.unblock():
        _round_trip(postgres_alias, tmp_path)


@pytest.mark.mysql
def test_mariadb_round_trip_and_atomic_restore(
    mysql_alias: str, tmp_path: Path, django_db_blocker: Any
) -> None:
    """On MariaDB (DELETE, not TRUNCATE), a failed load keeps the old rows too."""
    with django_db_blocker.unblock():
        _round_trip(mysql_alias, tmp_path)

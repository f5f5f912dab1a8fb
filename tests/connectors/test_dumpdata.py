"""DjangoDumpDataConnector against the real SQLite test database."""

from __future__ import annotations

import gzip
import json
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from django_snapshots.connectors.dumpdata import DjangoDumpDataConnector
from django_snapshots.exceptions import SnapshotConnectorError
from tests.example.shop.models import Customer, Order
from tests.sqlite_state import preserved_database as preserved_database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v0_1_0b1"

pytestmark = pytest.mark.usefixtures("preserved_database")


def _state() -> list[tuple[int, str, list[int]]]:
    """Return every customer (with primary key) and the totals of their orders."""
    return [
        (c.pk, c.name, sorted(o.total_cents for o in Order.objects.filter(customer=c)))
        for c in Customer.objects.order_by("pk")
    ]


def _seed() -> None:
    customer = Customer.objects.create(name="Grace Hopper 🐞", email="grace@example.com")
    for cents in (4200, 17):
        Order.objects.create(
            customer=customer,
            total_cents=cents,
            placed_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
        )


def test_round_trip_restores_rows_and_primary_keys(tmp_path: Path) -> None:
    """A JSON Lines dump restored after changes brings back the same rows and keys."""
    _seed()
    before = _state()
    dump = tmp_path / "default.sql"
    assert DjangoDumpDataConnector().dump("default", dump) == {"format": "jsonl"}
    lines = dump.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)["model"] for line in lines)
    assert any(json.loads(line)["model"] == "shop.customer" for line in lines)

    Order.objects.all().delete()
    Customer.objects.create(name="intruder", email="intruder@example.com")
    DjangoDumpDataConnector().restore("default", dump)

    assert _state() == before
    new = Customer.objects.create(name="next", email="next@example.com")
    assert new.pk > max(pk for pk, _, _ in before)


def test_a_failing_load_rolls_back_the_flush(tmp_path: Path) -> None:
    """A dump with a broken object restores nothing: the old rows stay."""
    _seed()
    dump = tmp_path / "default.sql"
    DjangoDumpDataConnector().dump("default", dump)
    with dump.open("a", encoding="utf-8") as out:
        out.write('{"model": "shop.order", "pk": 999, "fields": {"customer": 123456}}\n')
    before = _state()
    with pytest.raises(SnapshotConnectorError, match="loaddata into database alias 'default'"):
        DjangoDumpDataConnector().restore("default", dump)
    assert _state() == before


def test_restores_the_0_1_0b1_json_dump(tmp_path: Path) -> None:
    """The JSON array 0.1.0b1's dumpdata connector wrote restores the shop's rows."""
    with tarfile.open(FIXTURES / "v010b1-archive-dumpdata.tar") as archive:
        packed = archive.extractfile("default.sql.gz")
        assert packed is not None
        dump = tmp_path / "default.sql"
        dump.write_bytes(gzip.decompress(packed.read()))
    _seed()
    DjangoDumpDataConnector().restore("default", dump)
    assert [(name, totals) for _, name, totals in _state()] == [
        ("Ada Lovelace", [999, 1250]),
        ("Zoë Ångström", [999, 2500]),
    ]


def test_dump_output_is_never_compressed_by_its_name(tmp_path: Path) -> None:
    """A destination ending in .gz still receives plain JSON Lines (the engine compresses)."""
    dump = tmp_path / "default.sql.gz"
    DjangoDumpDataConnector().dump("default", dump)
    assert dump.read_bytes()[:1] == b"{"
    assert [p.name for p in tmp_path.iterdir()] == ["default.sql.gz"]


def test_unknown_alias_is_named(tmp_path: Path) -> None:
    """Restoring an alias missing from DATABASES raises naming the alias."""
    dump = tmp_path / "x.sql"
    dump.write_text("")
    with pytest.raises(SnapshotConnectorError, match="'nope'"):
        DjangoDumpDataConnector().restore("nope", dump)

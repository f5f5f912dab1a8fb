"""Encrypted snapshots through the engine: round trips, markers, tampering, missing keys."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.encryption import AgeEncryption
from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotError,
    SnapshotIntegrityError,
)
from django_snapshots.layout import SnapshotFormat
from django_snapshots.settings import reset_settings_cache
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.encryption.conftest import KeySet
from tests.encryption.conftest import keys as keys
from tests.encryption.conftest import other_keys as other_keys
from tests.encryption.conftest import passphrase_encryption as passphrase_encryption
from tests.engine.test_builtin_round_trip import database_state, mutate, tree
from tests.engine.test_builtin_round_trip import project as project
from tests.example.shop.models import Customer
from tests.sqlite_state import preserved_database as preserved_database

pytestmark = pytest.mark.usefixtures("preserved_database")

ROW_MARKER = "MARKER-row-7f3a9c"
MEDIA_MARKER = b"MARKER-media-51be02"


@pytest.fixture(params=["passphrase", "public-key"])
def encryption(
    request: pytest.FixtureRequest, keys: KeySet, passphrase_encryption: AgeEncryption
) -> AgeEncryption:
    """Return one backend of each mode that can back up and restore."""
    return passphrase_encryption if request.param == "passphrase" else keys.full()


@pytest.fixture
def encrypted(settings: Settings, encryption: AgeEncryption, tmp_path: Path) -> Iterator[Path]:
    """Configure ENCRYPTION and a local storage; return the storage folder."""
    location = tmp_path / "snapshots"
    settings.SNAPSHOTS = {"STORAGE": LocalFileSystemBackend(location), "ENCRYPTION": encryption}
    yield location
    reset_settings_cache()


def _stored_bytes(location: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(location.rglob("*")) if path.is_file())


def _use(settings: Settings, location: Path, encryption: object) -> LocalFileSystemBackend:
    """Switch ENCRYPTION (None for none) over the same storage; return the storage."""
    storage = LocalFileSystemBackend(location)
    settings.SNAPSHOTS = {"STORAGE": storage, "ENCRYPTION": encryption}
    return storage


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_encrypted_round_trip_hides_every_marker(
    encrypted: Path, project: Path, snapshot_format: SnapshotFormat
) -> None:
    """Every artifact round-trips; no stored byte shows a marker from rows or media files."""
    Customer.objects.create(name=ROW_MARKER, email="marker@example.com")
    (project / "secret.txt").write_bytes(MEDIA_MARKER * 100)
    before_db, before_media = database_state(), tree(project)
    snapshot = engine.create_snapshot("enc", snapshot_format=snapshot_format)
    assert snapshot.encrypted and snapshot.authentication is not None
    assert all(record.encrypted for record in snapshot.artifacts)
    stored = _stored_bytes(encrypted)
    assert ROW_MARKER.encode() not in stored and MEDIA_MARKER not in stored
    mutate(project)
    engine.restore_snapshot("enc")
    assert database_state() == before_db
    assert tree(project) == before_media
    assert engine.verify_snapshot("enc").ok


def test_verify_needs_no_key_but_restore_does(
    encrypted: Path, project: Path, settings: Settings
) -> None:
    """Without ENCRYPTION verify still hashes what is stored; restore says a key is missing."""
    engine.create_snapshot("k", snapshot_format="directory")
    storage = _use(settings, encrypted, None)
    assert engine.verify_snapshot("k", storage=storage).ok
    mutate(project)
    after = database_state()
    with pytest.raises(SnapshotEncryptionError, match=r"'k' is encrypted: set SNAPSHOTS"):
        engine.restore_snapshot("k", storage=storage)
    assert database_state() == after


def _edit_manifest(location: Path, name: str, change: dict[str, object]) -> None:
    manifest = location / name / "manifest.json"
    data = json.loads(manifest.read_text())
    for key, value in change.items():
        if key.startswith("artifact0."):
            data["artifacts"][0][key.removeprefix("artifact0.")] = value
        elif key == "connector":
            for record in data["artifacts"]:
                if record["type"] == "database":
                    record["metadata"]["connector"] = value
        else:
            data[key] = value
    manifest.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change",
    [
        {"created_at": "2020-01-01T00:00:00+00:00"},
        {"connector": "django_snapshots.connectors.dumpdata.DjangoDumpDataConnector"},
        {"hostname": "attacker"},
        {"artifact0.size": 1},
    ],
    ids=["created_at", "connector", "hostname", "size"],
)
def test_a_changed_manifest_field_is_refused(
    encrypted: Path, project: Path, change: dict[str, object]
) -> None:
    """Changing any sealed manifest field makes restore refuse before the data changes."""
    engine.create_snapshot("t")
    _edit_manifest(encrypted, "t", change)
    mutate(project)
    after_db, after_media = database_state(), tree(project)
    with pytest.raises(SnapshotEncryptionError, match=r"'t'"):
        engine.restore_snapshot("t")
    with pytest.raises(SnapshotEncryptionError):
        engine.verify_snapshot("t")
    assert database_state() == after_db and tree(project) == after_media


def test_a_snapshot_moved_under_another_name_is_refused(encrypted: Path, project: Path) -> None:
    """The seal binds the name: a sealed snapshot copied to another name does not restore."""
    engine.create_snapshot("original")
    shutil.copytree(encrypted / "original", encrypted / "renamed")
    mutate(project)
    after = database_state()
    with pytest.raises(SnapshotEncryptionError, match=r"'renamed'"):
        engine.restore_snapshot("renamed")
    assert database_state() == after


def test_a_replaced_artifact_with_fixed_checksums_is_refused(
    encrypted: Path, project: Path, settings: Settings
) -> None:
    """An attacker's plaintext dump, with its size and sha256 put in the manifest, never loads."""
    backend = settings.SNAPSHOTS["ENCRYPTION"]
    engine.create_snapshot("victim")
    storage = _use(settings, encrypted, None)
    engine.create_snapshot("evil", storage=storage)  # unencrypted, made by the attacker
    evil = json.loads((encrypted / "evil" / "manifest.json").read_text())
    victim_manifest = encrypted / "victim" / "manifest.json"
    victim = json.loads(victim_manifest.read_text())
    for ours in victim["artifacts"]:
        theirs = next(item for item in evil["artifacts"] if item["type"] == ours["type"])
        shutil.copyfile(
            encrypted / "evil" / theirs["filename"], encrypted / "victim" / ours["filename"]
        )
        ours.update({key: theirs[key] for key in ("size", "checksum")})
        ours.pop("stored_size")
        ours.pop("stored_checksum")
    victim_manifest.write_text(json.dumps(victim))
    _use(settings, encrypted, backend)
    mutate(project)
    after = database_state()
    with pytest.raises(SnapshotEncryptionError, match=r"'victim'"):
        engine.restore_snapshot("victim")
    assert database_state() == after


def test_an_artifact_of_another_snapshot_is_refused(encrypted: Path, project: Path) -> None:
    """Another encrypted snapshot's artifact, copied over with its records, fails the seal."""
    engine.create_snapshot("one")
    engine.create_snapshot("two")
    one = json.loads((encrypted / "one" / "manifest.json").read_text())
    two_path = encrypted / "two" / "manifest.json"
    two = json.loads(two_path.read_text())
    record = next(item for item in one["artifacts"] if item["type"] == "database")
    shutil.copyfile(encrypted / "one" / record["filename"], encrypted / "two" / record["filename"])
    two["artifacts"] = [record if item["type"] == "database" else item for item in two["artifacts"]]
    two_path.write_text(json.dumps(two))
    mutate(project)
    after = database_state()
    with pytest.raises(SnapshotEncryptionError, match=r"'two'"):
        engine.restore_snapshot("two")
    assert database_state() == after


def test_an_unencrypted_snapshot_is_refused_where_encryption_is_expected(
    encrypted: Path, project: Path, settings: Settings
) -> None:
    """Downgrade: a plaintext snapshot planted in the storage is refused by an encrypting host."""
    backend = settings.SNAPSHOTS["ENCRYPTION"]
    _use(settings, encrypted, None)
    engine.create_snapshot("plain")
    _use(settings, encrypted, backend)
    mutate(project)
    after = database_state()
    with pytest.raises(SnapshotEncryptionError, match=r"'plain'"):
        engine.restore_snapshot("plain")
    with pytest.raises(SnapshotEncryptionError):
        engine.verify_snapshot("plain")
    assert database_state() == after


def test_flipped_ciphertext_is_an_integrity_error(encrypted: Path, project: Path) -> None:
    """One flipped byte in a stored artifact fails verify and restore, naming the file."""
    snapshot = engine.create_snapshot("f")
    record = next(item for item in snapshot.artifacts if item.type == "media")
    path = encrypted / "f" / record.filename
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert not engine.verify_snapshot("f").ok
    mutate(project)
    after = tree(project)
    with pytest.raises(SnapshotIntegrityError, match=record.filename):
        engine.restore_snapshot("f")
    assert tree(project) == after


def test_a_wrong_key_is_one_line(
    encrypted: Path, project: Path, settings: Settings, other_keys: KeySet
) -> None:
    """A restore host with an unrelated key refuses in one line and changes nothing."""
    engine.create_snapshot("w")
    _use(settings, encrypted, other_keys.full())
    mutate(project)
    after = database_state()
    with pytest.raises(SnapshotError) as raised:
        engine.restore_snapshot("w")
    assert "\n" not in str(raised.value)
    assert database_state() == after


def test_undo_of_an_encrypted_restore_puts_back_the_state_before(
    encrypted: Path, project: Path
) -> None:
    """The restore's safety snapshot is encrypted like the rest, and undo decrypts it."""
    engine.create_snapshot("u")
    mutate(project)
    changed_db, changed_media = database_state(), tree(project)
    engine.restore_snapshot("u")
    assert database_state() != changed_db
    (safety,) = [
        item.snapshot
        for item in engine.list_snapshots()
        if item.snapshot is not None and item.name.startswith("pre-restore-")
    ]
    assert safety.encrypted and all(record.encrypted for record in safety.artifacts)
    engine.undo_last_restore()
    assert database_state() == changed_db
    assert tree(project) == changed_media

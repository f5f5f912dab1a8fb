"""Encrypted snapshots keep their media in an encrypted pool, through the engine.

Each test runs in both modes (passphrase, public-key with a host holding every key)
unless it is about one host kind. Stored bytes are checked for markers placed in file
contents and in file names: packs, index files and file lists must show none.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.artifacts.media import MediaArtifactExporter, media_importer_factory
from django_snapshots.encryption import AgeEncryption, AgePoolCodec
from django_snapshots.encryption.keys import parse_identities
from django_snapshots.engine.fetch import artifact_fetcher
from django_snapshots.engine.health import storage_findings
from django_snapshots.exceptions import SnapshotEncryptionError
from django_snapshots.layout import Location
from django_snapshots.manifest import Snapshot
from django_snapshots.pool.filelist import FileListReader
from django_snapshots.pool.options import PoolOptions
from django_snapshots.settings import reset_settings_cache
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.encryption.conftest import KeySet
from tests.encryption.conftest import keys as keys
from tests.encryption.conftest import other_keys as other_keys
from tests.encryption.conftest import passphrase_encryption as passphrase_encryption
from tests.pool.harness import Harness, make_tree, pool_bytes, pool_files, tree_of

pytestmark = pytest.mark.usefixtures("cached_pip")

CONTENT_MARKER = b"MARKER-content-3c71e9"
NAME_MARKER = "MARKERNAME-a81f"


@pytest.fixture
def cached_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the real pip freeze (a second per backup): the manifest lists one line."""
    from django_snapshots.engine import backup as engine_backup

    monkeypatch.setattr(engine_backup, "pip_freeze", lambda: ["encrypted-pool==1"])


@pytest.fixture(params=["passphrase", "public-key"])
def encryption(
    request: pytest.FixtureRequest, keys: KeySet, passphrase_encryption: AgeEncryption
) -> AgeEncryption:
    """Return a backend of each mode that can back up and restore."""
    return passphrase_encryption if request.param == "passphrase" else keys.full()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[LocalFileSystemBackend]:
    """Return an empty local snapshot storage; reset the settings cache afterwards."""
    yield LocalFileSystemBackend(tmp_path / "store")
    reset_settings_cache()


def _use(settings: Settings, storage: LocalFileSystemBackend, encryption: object) -> None:
    """Configure ENCRYPTION (None for none) over ``storage``."""
    settings.SNAPSHOTS = {"STORAGE": storage, "ENCRYPTION": encryption}
    reset_settings_cache()


def _media(root: Path) -> Path:
    return make_tree(
        root,
        {
            f"{NAME_MARKER}.txt": CONTENT_MARKER * 2000,
            "docs/random.bin": os.urandom(150_000),
            f"docs/{NAME_MARKER}-dir/x.txt": b"x",
        },
    )


def _backup(storage: LocalFileSystemBackend, name: str, media: Path) -> Snapshot:
    return engine.create_snapshot(name, exporters=[MediaArtifactExporter(media)], storage=storage)


def _restore(
    storage: LocalFileSystemBackend, name: str, target: Path, *, safety: bool = True
) -> None:
    """Restore ``name``'s media into ``target``; a restore-only host passes ``safety=False``."""
    target.mkdir(exist_ok=True)
    engine.restore_snapshot(
        name,
        importers={"media": media_importer_factory(target)},
        storage=storage,
        safety_snapshot=safety,
    )


def _stored_bytes(location: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(location.rglob("*")) if path.is_file())


def _content_ids(
    storage: LocalFileSystemBackend, snapshot: Snapshot, encryption: AgeEncryption, tmp: Path
) -> dict[str, list[str]]:
    """Return each file's content ids, read through the engine's (decrypting) fetcher."""
    (record,) = snapshot.artifacts
    local = tmp / "files"
    fetch = artifact_fetcher(encryption)
    fetch(storage, Location(snapshot.name, "directory"), snapshot, record, local)
    with local.open("rb") as stream:
        return {entry.path: list(entry.ids) for entry in FileListReader(stream, "test")}


def test_an_encrypted_backup_uses_the_pool_and_stores_no_marker(
    settings: Settings, storage: LocalFileSystemBackend, encryption: AgeEncryption, tmp_path: Path
) -> None:
    """Media goes to an encrypted pool; no content, name or sha256 shows in stored bytes."""
    _use(settings, storage, encryption)
    snapshot = _backup(storage, "one", _media(tmp_path / "media"))
    (record,) = snapshot.artifacts
    assert record.encrypted and record.filename == "media.files.zst"
    assert record.metadata["layout"] == "pool"
    pool = str(record.metadata["pool"])
    assert pool.startswith("hmac-") and pool.endswith("-age")
    assert pool_files(storage) and all(f".pool/{pool}/" in path for path in pool_files(storage))
    stored = _stored_bytes(tmp_path / "store")
    sha256 = hashlib.sha256(CONTENT_MARKER * 2000).hexdigest()
    for marker in (CONTENT_MARKER, NAME_MARKER.encode(), b"random.bin", sha256.encode()):
        assert marker not in stored
    ids = _content_ids(storage, snapshot, encryption, tmp_path)
    assert ids[f"{NAME_MARKER}.txt"] != [sha256]
    assert len(ids[f"{NAME_MARKER}.txt"][0]) == 64


def test_an_unchanged_backup_reuses_everything_and_restores_exactly(
    settings: Settings, storage: LocalFileSystemBackend, encryption: AgeEncryption, tmp_path: Path
) -> None:
    """The second backup reads no file (its parent is decrypted); both restore exactly."""
    _use(settings, storage, encryption)
    media = _media(tmp_path / "media")
    _backup(storage, "one", media)
    written = pool_bytes(storage)
    second = _backup(storage, "two", media)
    (record,) = second.artifacts
    assert record.metadata["reused_files"] == record.metadata["files"] == 3
    assert record.metadata["new_bytes"] == 0
    assert pool_bytes(storage) <= written + 2048  # at most one more (empty) index file
    for name in ("one", "two"):
        _restore(storage, name, tmp_path / f"restored-{name}")
        assert tree_of(tmp_path / f"restored-{name}") == tree_of(media)


def test_delete_frees_what_only_the_deleted_snapshot_held(
    settings: Settings, storage: LocalFileSystemBackend, encryption: AgeEncryption, tmp_path: Path
) -> None:
    """Deleting an encrypted snapshot shrinks its pool; check then finds nothing."""
    _use(settings, storage, encryption)
    media = _media(tmp_path / "media")
    _backup(storage, "kept", media)
    before = pool_bytes(storage)
    (media / "gone.bin").write_bytes(os.urandom(300_000))
    _backup(storage, "gone", media)
    assert pool_bytes(storage) >= before + 300_000
    engine.delete_snapshot("gone", storage=storage, collect_garbage=False)
    findings = storage_findings(storage=storage)
    assert len(findings) == 1 and "-age: 1 unreferenced content piece" in findings[0]
    (report,) = engine.collect_garbage(storage=storage)
    assert report.skipped is None and report.freed >= 300_000
    assert pool_bytes(storage) <= before + 2048
    assert storage_findings(storage=storage) == []
    (media / "gone.bin").unlink()
    _restore(storage, "kept", tmp_path / "restored")
    assert tree_of(tmp_path / "restored") == tree_of(media)


def test_verify_read_data_rehashes_the_encrypted_pool(
    settings: Settings, storage: LocalFileSystemBackend, encryption: AgeEncryption, tmp_path: Path
) -> None:
    """verify --read-data decrypts and re-hashes every pack; a damaged pack fails it."""
    _use(settings, storage, encryption)
    pool = _backup(storage, "one", _media(tmp_path / "media")).artifacts[0].metadata["pool"]
    report = engine.verify_snapshot("one", storage=storage, read_data=True)
    assert report.ok and report.checks[-1].message == "pool content re-hashed"
    (pack,) = [path for path in (tmp_path / "store").rglob("*.pack")]
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 1
    pack.write_bytes(bytes(data))
    assert engine.verify_snapshot("one", storage=storage).ok  # sizes still right
    damaged = engine.verify_snapshot("one", storage=storage, read_data=True)
    assert not damaged.ok
    (failed,) = [check.message for check in damaged.checks if not check.ok]
    assert f"pool pack '.pool/{pool}/packs/" in failed and "cannot be decoded" in failed


def test_a_restore_host_reads_the_pool_a_full_host_wrote(
    settings: Settings, storage: LocalFileSystemBackend, keys: KeySet, tmp_path: Path
) -> None:
    """Identities and verify keys alone restore, check and verify; collection needs recipients."""
    _use(settings, storage, keys.full())
    media = _media(tmp_path / "media")
    _backup(storage, "one", media)
    _backup(storage, "two", media)
    _use(settings, storage, keys.restore_host())
    _restore(storage, "two", tmp_path / "restored", safety=False)
    assert tree_of(tmp_path / "restored") == tree_of(media)
    assert engine.verify_snapshot("two", storage=storage, read_data=True).ok
    assert storage_findings(storage=storage) == []
    engine.delete_snapshot("one", storage=storage, collect_garbage=False)
    (report,) = engine.collect_garbage(storage=storage)
    assert report.skipped == "needs the key and codec that wrote it"


def test_a_restore_host_refuses_a_safety_snapshot_it_cannot_encrypt(
    settings: Settings, storage: LocalFileSystemBackend, keys: KeySet, tmp_path: Path
) -> None:
    """Without recipients and signing key, a restore with a safety snapshot is refused first."""
    _use(settings, storage, keys.full())
    _backup(storage, "one", _media(tmp_path / "media"))
    _use(settings, storage, keys.restore_host())
    target = make_tree(tmp_path / "live", {"kept.txt": b"live data"})
    before = tree_of(target)
    with pytest.raises(SnapshotEncryptionError, match=r"restore only.*--no-safety-snapshot"):
        _restore(storage, "one", target)
    assert tree_of(target) == before
    assert [item.name for item in engine.list_snapshots(storage=storage)] == ["one"]


def test_a_recipients_only_backup_host_keeps_media_as_an_encrypted_tar(
    settings: Settings, storage: LocalFileSystemBackend, keys: KeySet, tmp_path: Path
) -> None:
    """A host that cannot read the pool index stores the media tar; a restore host opens it."""
    _use(settings, storage, keys.backup_host())
    media = _media(tmp_path / "media")
    snapshot = _backup(storage, "tarred", media)
    (record,) = snapshot.artifacts
    assert record.encrypted and record.filename == "media.tar.zst"
    assert "pool" not in record.metadata and pool_files(storage) == []
    assert CONTENT_MARKER not in _stored_bytes(tmp_path / "store")
    _use(settings, storage, keys.restore_host())
    _restore(storage, "tarred", tmp_path / "restored", safety=False)
    assert tree_of(tmp_path / "restored") == tree_of(media)


def test_a_verify_only_host_says_the_pool_was_not_checked(
    settings: Settings, storage: LocalFileSystemBackend, keys: KeySet, tmp_path: Path
) -> None:
    """Without an identity, verify notes the pool is unchecked, and --read-data fails."""
    _use(settings, storage, keys.full())
    _backup(storage, "one", _media(tmp_path / "media"))
    _use(settings, storage, AgeEncryption(verify_keys=[keys.verify_key]))
    report = engine.verify_snapshot("one", storage=storage)
    assert report.ok and "pool content not checked" in report.checks[-1].message
    assert not engine.verify_snapshot("one", storage=storage, read_data=True).ok


def test_a_change_of_recipients_starts_a_pool_the_new_recipient_opens(
    settings: Settings,
    storage: LocalFileSystemBackend,
    keys: KeySet,
    other_keys: KeySet,
    tmp_path: Path,
) -> None:
    """After adding a recipient, the next backup stores media anew; its holder restores it."""
    _use(settings, storage, keys.full())
    media = _media(tmp_path / "media")
    first = _backup(storage, "one", media)
    both = AgeEncryption(
        recipients=[keys.recipient, other_keys.recipient],
        identities=[keys.identity],
        signing_key=keys.signing_key,
    )
    _use(settings, storage, both)
    second = _backup(storage, "two", media)
    assert first.artifacts[0].metadata["pool"] != second.artifacts[0].metadata["pool"]
    assert second.artifacts[0].metadata["reused_files"] == 0
    _use(
        settings,
        storage,
        AgeEncryption(identities=[other_keys.identity], verify_keys=[keys.verify_key]),
    )
    _restore(storage, "two", tmp_path / "restored", safety=False)
    assert tree_of(tmp_path / "restored") == tree_of(media)


def test_a_wrong_key_cannot_read_the_pool(
    settings: Settings,
    storage: LocalFileSystemBackend,
    keys: KeySet,
    other_keys: KeySet,
    tmp_path: Path,
) -> None:
    """Pool objects opened with another identity fail in one line; the target is untouched."""
    _use(settings, storage, keys.full())
    snapshot = _backup(storage, "one", _media(tmp_path / "media"))
    pool = snapshot.artifacts[0].metadata["pool"]
    session = keys.full().begin_restore("one", snapshot.encryption_header)
    ids = keys.full().pool_ids(session.content_key, snapshot.encryption_header or {})
    wrong = AgePoolCodec([], parse_identities([other_keys.identity]))
    options = PoolOptions(ids=ids, codec=wrong)
    assert options.name == pool
    target = make_tree(tmp_path / "target", {"keep.txt": b"old"})
    before = tree_of(target)
    with pytest.raises(SnapshotEncryptionError) as refused:
        Harness(storage, options).restore("one", target)
    assert "does not open with this host's key" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert tree_of(target) == before


def test_another_passphrase_is_refused_before_anything_is_touched(
    settings: Settings,
    storage: LocalFileSystemBackend,
    passphrase_encryption: AgeEncryption,
    tmp_path: Path,
) -> None:
    """A restore with another passphrase fails in one line and leaves the target as it was."""
    _use(settings, storage, passphrase_encryption)
    _backup(storage, "one", _media(tmp_path / "media"))
    _use(settings, storage, AgeEncryption(passphrase="another passphrase entirely"))
    target = make_tree(tmp_path / "target", {"keep.txt": b"old"})
    before = tree_of(target)
    with pytest.raises(SnapshotEncryptionError) as refused:
        _restore(storage, "one", target)
    assert "wrong passphrase" in str(refused.value) and "\n" not in str(refused.value)
    assert tree_of(target) == before


def test_the_plain_pool_of_older_snapshots_is_still_collected(
    settings: Settings, storage: LocalFileSystemBackend, encryption: AgeEncryption, tmp_path: Path
) -> None:
    """With ENCRYPTION switched on later, both pools are collected and checked."""
    media = _media(tmp_path / "media")
    _use(settings, storage, None)
    _backup(storage, "plain-1", media)
    (media / "plain-only.bin").write_bytes(os.urandom(200_000))
    _backup(storage, "plain-2", media)
    _use(settings, storage, encryption)
    _backup(storage, "encrypted", media)
    engine.delete_snapshot("plain-2", storage=storage)
    reports = {report.pool: report for report in engine.collect_garbage(storage=storage)}
    assert set(reports) == {"sha256", str(_pool_of(storage, "encrypted"))}
    assert all(report.skipped is None for report in reports.values())
    assert storage_findings(storage=storage) == []
    engine.delete_snapshot("plain-1", storage=storage)
    assert not [path for path in pool_files(storage) if path.startswith(".pool/sha256/packs")]
    engine.delete_snapshot("encrypted", storage=storage)
    assert pool_files(storage) == []


def _pool_of(storage: LocalFileSystemBackend, name: str) -> object:
    return engine.get_snapshot(name, storage=storage).artifacts[0].metadata["pool"]

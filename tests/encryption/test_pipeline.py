"""Encryption wired the way the engine will wire it, over real storage, and tampering.

``backup`` and ``restore`` below are the reference sequence of calls documented in
docs/encryption.md: compress -> hash -> encrypt -> hash -> store in one pass, a
sealed manifest written last; then fetch -> hash -> decrypt -> hash -> decompress into
scratch files, and only when every seal and checksum passed is anything "imported".
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard

from django_snapshots.encryption import (
    AgeEncryption,
    SnapshotEncryption,
    canonical_manifest_payload,
)
from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotError,
    SnapshotIntegrityError,
)
from django_snapshots.storage import LocalFileSystemBackend
from django_snapshots.streams import (
    HashingReader,
    HashingWriter,
    binary,
    compressing_reader,
    decompressing_writer,
    iter_chunks,
)
from tests.encryption.conftest import KeySet

MARKERS = (b"MARKER-row-alice@example.com", b"MARKER-media-passport-scan", b"MARKER-pip")


def _media_tar() -> bytes:
    """Return a tar of two media files holding a marker."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, body in (("scan.txt", MARKERS[1] * 200), ("empty.bin", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


ARTIFACTS: dict[str, bytes] = {
    "default.sqlite3.zst": b"INSERT INTO users VALUES ('" + MARKERS[0] + b"');\n" * 5000,
    "media.tar.zst": _media_tar(),
    "requirements.txt.zst": b"Django==5.2\n" + MARKERS[2] + b"==1.0\n",
}


def backup(
    storage: LocalFileSystemBackend,
    encryption: SnapshotEncryption,
    name: str,
    artifacts: dict[str, bytes] = ARTIFACTS,
) -> dict[str, Any]:
    """Store an encrypted, sealed snapshot ``name`` of ``artifacts``; return its manifest."""
    session = encryption.begin_backup(name)
    records: list[dict[str, Any]] = []
    for filename, data in artifacts.items():
        plain = HashingReader(compressing_reader(io.BytesIO(data), "zstd"))
        stored = HashingReader(session.encrypting_reader(binary(plain), filename))
        storage.write(f"{name}/{filename}", binary(stored))
        records.append(
            {
                "type": "database",
                "filename": filename,
                "size": plain.size,
                "checksum": plain.checksum,
                "stored_size": stored.size,
                "stored_checksum": stored.checksum,
                "created_at": "2024-05-01T12:00:01+00:00",
                "metadata": {
                    "connector": "django_snapshots.SQLiteConnector",
                    "compression": "zstd",
                },
            }
        )
    manifest: dict[str, Any] = {
        "version": "1",
        "name": name,
        "created_at": "2024-05-01T12:00:00+00:00",
        "hostname": "db-1",
        "encrypted": True,
        "pip": ["Django==5.2"],
        "metadata": {},
        "artifacts": records,
        "encryption": session.header,
    }
    manifest["authentication"] = session.seal(canonical_manifest_payload(manifest))
    storage.write(f"{name}/manifest.json", io.BytesIO(json.dumps(manifest, indent=2).encode()))
    return manifest


def read_manifest(storage: LocalFileSystemBackend, name: str) -> dict[str, Any]:
    """Return the stored manifest of ``name`` as plain JSON."""
    with storage.read(f"{name}/manifest.json") as stream:
        manifest: dict[str, Any] = json.loads(stream.read())
    return manifest


def write_manifest(storage: LocalFileSystemBackend, name: str, manifest: dict[str, Any]) -> None:
    """Overwrite the stored manifest of ``name`` (as an attacker with bucket access would)."""
    storage.write(f"{name}/manifest.json", io.BytesIO(json.dumps(manifest).encode()))


def restore(
    storage: LocalFileSystemBackend, encryption: SnapshotEncryption, name: str, scratch: Path
) -> dict[str, bytes]:
    """Verify and decrypt snapshot ``name`` into ``scratch``; return the plain artifacts."""
    manifest = read_manifest(storage, name)
    session = encryption.begin_restore(name, manifest.get("encryption"))
    session.verify(canonical_manifest_payload(manifest), manifest.get("authentication"))
    for record in manifest["artifacts"]:
        filename = record["filename"]
        with (scratch / filename).open("wb") as file:
            decompress = decompressing_writer(file, "zstd")
            plain = HashingWriter(decompress)
            decrypt = session.decrypting_writer(binary(plain), filename)
            fetched = HashingWriter(decrypt)
            try:
                with storage.read(f"{name}/{filename}") as stream:
                    for chunk in iter_chunks(stream):
                        fetched.write(chunk)
                decrypt.close()
                decompress.close()
            except zstandard.ZstdError as error:
                raise SnapshotIntegrityError(f"snapshot {name!r}: {filename!r}: {error}") from None
        if (fetched.size, fetched.checksum) != (record["stored_size"], record["stored_checksum"]):
            raise SnapshotIntegrityError(f"snapshot {name!r}: stored {filename!r} does not match")
        if (plain.size, plain.checksum) != (record["size"], record["checksum"]):
            raise SnapshotIntegrityError(f"snapshot {name!r}: {filename!r} does not match")
    return {
        record["filename"]: (scratch / record["filename"]).read_bytes()
        for record in manifest["artifacts"]
    }


def verify_stored(
    storage: LocalFileSystemBackend, encryption: SnapshotEncryption, name: str
) -> None:
    """Check the seal and every stored artifact's size and sha256, decrypting nothing."""
    manifest = read_manifest(storage, name)
    verifier = encryption.begin_verify(name, manifest.get("encryption"))
    verifier.verify(canonical_manifest_payload(manifest), manifest.get("authentication"))
    for record in manifest["artifacts"]:
        with storage.read(f"{name}/{record['filename']}") as stream:
            hashed = HashingReader(stream)
            for _ in iter_chunks(binary(hashed)):
                pass
        if (hashed.size, hashed.checksum) != (record["stored_size"], record["stored_checksum"]):
            raise SnapshotIntegrityError(f"snapshot {name!r}: {record['filename']!r} is damaged")


@pytest.fixture(scope="module", params=["passphrase", "public-key"])
def hosts(
    request: pytest.FixtureRequest, keys: KeySet, passphrase_encryption: AgeEncryption
) -> tuple[SnapshotEncryption, SnapshotEncryption]:
    """Return (backup host, restore host) of each mode."""
    if request.param == "passphrase":
        return passphrase_encryption, passphrase_encryption
    return keys.backup_host(), keys.restore_host()


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, hosts: tuple[SnapshotEncryption, SnapshotEncryption]
) -> Path:
    """Return a storage folder holding snapshots "nightly" and "other" (made once per mode)."""
    location = tmp_path_factory.mktemp("template")
    storage = LocalFileSystemBackend(location)
    backup(storage, hosts[0], "nightly")
    backup(storage, hosts[0], "other", {**ARTIFACTS, "default.sqlite3.zst": b"other rows"})
    return location


@pytest.fixture
def storage(tmp_path: Path, template: Path) -> LocalFileSystemBackend:
    """Return a fresh copy of the template storage for one test to tamper with."""
    shutil.copytree(template, tmp_path / "store")
    return LocalFileSystemBackend(tmp_path / "store")


def test_round_trip_and_no_marker_in_storage(
    tmp_path: Path,
    storage: LocalFileSystemBackend,
    hosts: tuple[SnapshotEncryption, SnapshotEncryption],
) -> None:
    """Every artifact comes back byte-exact, and no stored file holds a marker string."""
    assert restore(storage, hosts[1], "nightly", tmp_path) == ARTIFACTS
    for path in storage.recursive_list(""):
        with storage.read(path) as stream:
            stored = stream.read()
        assert not path.endswith(".zst") or stored.startswith(b"age-encryption.org/v1\n")
        for marker in MARKERS:
            assert marker not in stored, f"{marker!r} is readable in {path}"
    verify_stored(storage, hosts[1], "nightly")


def _forged_artifact(storage: LocalFileSystemBackend, keys: KeySet, name: str) -> None:
    """Replace the database of ``name`` by the attacker's own, encrypted to the recipient."""
    attacker = AgeEncryption(recipients=[keys.recipient], signing_key=keys.signing_key)
    # The attacker lacks the real signing key; any session encrypts to the recipient.
    session = attacker.begin_backup(name)
    rows = compressing_reader(io.BytesIO(b"attacker rows"), "zstd")
    forged = HashingReader(session.encrypting_reader(rows, "x"))
    storage.write(f"{name}/default.sqlite3.zst", binary(forged))


TamperCase = Callable[[LocalFileSystemBackend, KeySet], None]


def _replace_and_fix_manifest(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """The artifact is replaced and its size and sha256 put into the manifest."""
    _forged_artifact(storage, keys, "nightly")
    manifest = read_manifest(storage, "nightly")
    with storage.read("nightly/default.sqlite3.zst") as stream:
        hashed = HashingReader(stream)
        b"".join(iter_chunks(binary(hashed)))
    manifest["artifacts"][0].update(stored_size=hashed.size, stored_checksum=hashed.checksum)
    write_manifest(storage, "nightly", manifest)


def _replace_only(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """The artifact is replaced, the manifest left alone."""
    _forged_artifact(storage, keys, "nightly")


def _swap_from_other_snapshot(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """The database of another snapshot is copied over this one's."""
    with storage.read("other/default.sqlite3.zst") as stream:
        storage.write("nightly/default.sqlite3.zst", stream)


def _swap_with_its_record(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """Another snapshot's database and its manifest record are both swapped in."""
    _swap_from_other_snapshot(storage, keys)
    manifest = read_manifest(storage, "nightly")
    manifest["artifacts"][0] = read_manifest(storage, "other")["artifacts"][0]
    write_manifest(storage, "nightly", manifest)


def _edit(**changes: Any) -> TamperCase:
    def tamper(storage: LocalFileSystemBackend, keys: KeySet) -> None:
        manifest = read_manifest(storage, "nightly")
        for key, value in changes.items():
            if key == "connector":
                manifest["artifacts"][0]["metadata"]["connector"] = value
            else:
                manifest[key] = value
        write_manifest(storage, "nightly", manifest)

    return tamper


def _downgrade(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """An unencrypted, unsealed snapshot is put where the encrypted one was."""
    manifest = read_manifest(storage, "nightly")
    for key in ("encryption", "authentication"):
        del manifest[key]
    manifest["encrypted"] = False
    write_manifest(storage, "nightly", manifest)


def _strip_seal(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """The seal is removed, everything else left."""
    manifest = read_manifest(storage, "nightly")
    del manifest["authentication"]
    write_manifest(storage, "nightly", manifest)


def _header_of_other(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """The other snapshot's header and seal are put into this manifest."""
    manifest = read_manifest(storage, "nightly")
    other = read_manifest(storage, "other")
    manifest.update(encryption=other["encryption"], authentication=other["authentication"])
    write_manifest(storage, "nightly", manifest)


def _renamed(storage: LocalFileSystemBackend, keys: KeySet) -> None:
    """The whole other snapshot is copied under this snapshot's name."""
    for path in storage.recursive_list("other/"):
        with storage.read(path) as stream:
            storage.write("nightly/" + path.removeprefix("other/"), stream)


TAMPERING: dict[str, TamperCase] = {
    "replaced artifact, manifest fixed": _replace_and_fix_manifest,
    "replaced artifact": _replace_only,
    "artifact of another snapshot": _swap_from_other_snapshot,
    "artifact and record of another snapshot": _swap_with_its_record,
    "created_at changed": _edit(created_at="2020-01-01T00:00:00+00:00"),
    "connector changed": _edit(connector="evil.Connector"),
    "name changed": _edit(name="renamed"),
    "downgraded to unencrypted": _downgrade,
    "seal stripped": _strip_seal,
    "header and seal of another snapshot": _header_of_other,
    "another snapshot renamed": _renamed,
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_refused_before_anything_is_imported(
    tmp_path: Path,
    storage: LocalFileSystemBackend,
    hosts: tuple[SnapshotEncryption, SnapshotEncryption],
    keys: KeySet,
    case: str,
) -> None:
    """Each tampering case fails the restore (and verify) with a one-line error."""
    TAMPERING[case](storage, keys)
    with pytest.raises((SnapshotEncryptionError, SnapshotIntegrityError)) as caught:
        restore(storage, hosts[1], "nightly", tmp_path)
    assert "\n" not in str(caught.value) and "nightly" in str(caught.value)
    with pytest.raises(SnapshotError):
        verify_stored(storage, hosts[1], "nightly")

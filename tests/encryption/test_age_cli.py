"""Disaster recovery without this library: the real ``age`` tool opens stored artifacts.

Needs the ``age`` command (Debian package ``age``); skipped with the reason when it is
missing, and failing instead under ``SNAPSHOTS_REQUIRE_SERVERS=1``.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time
from pathlib import Path
from typing import Any

from django_snapshots.encryption import AgeEncryption, canonical_manifest_payload, keygen_text
from django_snapshots.encryption.keys import parse_identity_file
from django_snapshots.streams import iter_chunks
from tests.encryption.conftest import PASSPHRASE, KeySet

PLAINTEXT = b"MARKER-cli-recovery " * 50_000 + bytes(range(256))


def _store(session: Any, path: Path, data: bytes = PLAINTEXT) -> None:
    """Write ``data`` encrypted by ``session`` to ``path``, as storage would hold it."""
    with path.open("wb") as file:
        for chunk in iter_chunks(session.encrypting_reader(io.BytesIO(data), path.name)):
            file.write(chunk)


def _age_with_passphrase(age: str, passphrase: str, *args: str) -> int:
    """Run ``age`` on a pseudo-terminal, typing ``passphrase`` at its prompt; return its code."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child process
        os.execv(age, [age, *args])
    output = b""
    typed = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                continue
            try:
                data = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            output += data
            if not typed and b"passphrase" in output.lower():
                os.write(fd, passphrase.encode() + b"\n")
                typed = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert typed, f"age never asked for the passphrase: {output!r}"
    return os.waitstatus_to_exitcode(status)


def test_age_decrypts_a_public_key_artifact_with_the_identity(
    age: str, tmp_path: Path, keys: KeySet
) -> None:
    """``age -d -i identity.txt`` alone turns a stored artifact back into its plaintext."""
    artifact = tmp_path / "default.sqlite3.zst"
    _store(keys.backup_host().begin_backup("nightly"), artifact)
    identity = tmp_path / "identity.txt"
    identity.write_text(f"# created: today\n{keys.identity}\n")
    result = subprocess.run(
        [age, "-d", "-i", str(identity), str(artifact)], capture_output=True, check=True
    )
    assert result.stdout == PLAINTEXT


def test_age_decrypts_with_a_keygen_text_identity_file(age: str, tmp_path: Path) -> None:
    """The identity file keygen_text prints is a valid ``age -i`` file."""
    text = keygen_text()
    recipient = text.splitlines()[1].removeprefix("# public key: ")
    signing = parse_identity_file(keygen_text(signing=True))[0]
    host = AgeEncryption(recipients=[recipient], signing_key=signing)
    artifact = tmp_path / "media.tar.zst"
    _store(host.begin_backup("nightly"), artifact)
    identity = tmp_path / "key.txt"
    identity.write_text(text)
    result = subprocess.run(
        [age, "-d", "-i", str(identity), str(artifact)], capture_output=True, check=True
    )
    assert result.stdout == PLAINTEXT


def test_age_with_the_wrong_identity_fails(age: str, tmp_path: Path, keys: KeySet) -> None:
    """``age -d`` with an unrelated identity exits non-zero and writes nothing."""
    artifact = tmp_path / "default.sqlite3.zst"
    _store(keys.backup_host().begin_backup("nightly"), artifact)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(keygen_text())
    result = subprocess.run([age, "-d", "-i", str(wrong), str(artifact)], capture_output=True)
    assert result.returncode != 0 and result.stdout == b""


def test_passphrase_mode_recovers_with_age_and_the_passphrase(
    age: str, tmp_path: Path, passphrase_encryption: AgeEncryption
) -> None:
    """``age -d`` of the header's wrapped identity gives the identity, which opens the artifact."""
    session = passphrase_encryption.begin_backup("nightly")
    artifact = tmp_path / "default.sqlite3.zst"
    _store(session, artifact)
    wrapped = tmp_path / "identity.age"
    wrapped.write_text(session.header["identity"])
    identity = tmp_path / "identity.txt"
    code = _age_with_passphrase(age, PASSPHRASE, "-d", "-o", str(identity), str(wrapped))
    assert code == 0
    assert identity.read_text().startswith("AGE-SECRET-KEY-1")
    result = subprocess.run(
        [age, "-d", "-i", str(identity), str(artifact)], capture_output=True, check=True
    )
    assert result.stdout == PLAINTEXT


def test_a_file_age_encrypted_to_the_recipient_decrypts_in_a_restore(
    age: str, tmp_path: Path, keys: KeySet
) -> None:
    """The formats agree both ways: what ``age -r`` writes, a restore session decrypts."""
    plain = tmp_path / "plain.bin"
    plain.write_bytes(PLAINTEXT)
    encrypted = subprocess.run(
        [age, "-r", keys.recipient, str(plain)], capture_output=True, check=True
    ).stdout
    session = keys.backup_host().begin_backup("nightly")
    manifest = {"name": "nightly", "encryption": session.header}
    seal = session.seal(canonical_manifest_payload(manifest))
    restore = keys.restore_host().begin_restore("nightly", session.header)
    restore.verify(canonical_manifest_payload(manifest), seal)
    sink = io.BytesIO()
    writer = restore.decrypting_writer(sink, "plain.bin")
    writer.write(encrypted)
    writer.close()
    assert sink.getvalue() == PLAINTEXT

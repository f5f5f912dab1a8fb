"""The pushed age decryptor: pyrage's and the age command's files, and every way to break one."""

from __future__ import annotations

import base64
import gc
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest
from bech32 import bech32_decode, convertbits
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from django_snapshots.encryption.agedecrypt import AgeDecryptError, AgeDecryptingWriter, X25519Key
from django_snapshots.streams import binary

CHUNK = 64 * 1024 + 16
"""Bytes of one full payload chunk: 64 KiB of plaintext and a 16-byte tag."""


class Failed(Exception):
    """What the test's ``on_error`` turns a decryption error into."""

    def __init__(self, error: AgeDecryptError) -> None:
        super().__init__(str(error))
        self.error = error


@pytest.fixture(scope="module")
def identity() -> pyrage.x25519.Identity:
    """Return the module's identity."""
    return pyrage.x25519.Identity.generate()


def _payload(size: int) -> bytes:
    """Return ``size`` bytes that differ in every 64 KiB chunk."""
    block = bytes(range(256)) * 256
    return b"".join(i.to_bytes(4, "big") + block[4:] for i in range(size // len(block) + 1))[:size]


def _decrypt(data: bytes, keys: list[X25519Key], step: int = 1 << 20) -> bytes:
    """Push ``data`` in ``step``-byte writes through the decryptor; return the plaintext."""
    sink = io.BytesIO()
    writer = AgeDecryptingWriter(sink, keys, Failed)
    for offset in range(0, len(data), step):
        writer.write(data[offset : offset + step])
    writer.close()
    return sink.getvalue()


def _failure(data: bytes, keys: list[X25519Key], step: int = 1 << 20) -> AgeDecryptError:
    """Return the decryption error ``data`` raises."""
    with pytest.raises(Failed) as raised:
        _decrypt(data, keys, step)
    return raised.value.error


def _header_end(data: bytes) -> int:
    """Return where the header of the age file ``data`` ends (its MAC line included)."""
    return data.index(b"\n", data.index(b"\n--- ") + 1) + 1


SPLITS = [
    (size, step)
    for size in (0, 1, 65535, 65536, 65537, 2 * 65536, 1_000_003)
    for step in (1, 4099, CHUNK, 1 << 20)
    if step > 1 or size < 70_000  # byte by byte, a large file only repeats the small cases
]


@pytest.mark.parametrize(("size", "step"), SPLITS)
def test_pyrage_files_decrypt_in_any_write_size(
    identity: pyrage.x25519.Identity, size: int, step: int
) -> None:
    """Every size around the chunk boundaries decrypts, however the bytes are split."""
    plain = _payload(size)
    encrypted = pyrage.encrypt(plain, [identity.to_public()])
    assert _decrypt(encrypted, [X25519Key.from_identity(identity)], step) == plain


def test_the_key_that_opens_it_is_found_among_several(identity: pyrage.x25519.Identity) -> None:
    """A file encrypted to two recipients opens with either identity, in any order."""
    other = pyrage.x25519.Identity.generate()
    encrypted = pyrage.encrypt(b"two readers", [other.to_public(), identity.to_public()])
    unrelated = X25519Key.from_identity(pyrage.x25519.Identity.generate())
    assert _decrypt(encrypted, [unrelated, X25519Key.from_identity(identity)]) == b"two readers"
    assert _decrypt(encrypted, [X25519Key.from_identity(other)]) == b"two readers"


def test_a_file_for_other_keys_is_no_matching_key(identity: pyrage.x25519.Identity) -> None:
    """A well-formed file encrypted to someone else says so (not "damaged")."""
    encrypted = pyrage.encrypt(b"secret", [pyrage.x25519.Identity.generate().to_public()])
    error = _failure(encrypted, [X25519Key.from_identity(identity)])
    assert error.no_matching_key
    assert "no matching keys" in str(error)


def _flip(data: bytes, index: int) -> bytes:
    """Return ``data`` with one bit of byte ``index`` flipped."""
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


def _swap(data: bytes, index: int) -> bytes:
    """Return ``data`` with the base64 character at ``index`` replaced by another one."""
    return data[:index] + (b"B" if data[index : index + 1] == b"A" else b"A") + data[index + 1 :]


def _cases(encrypted: bytes) -> Iterator[tuple[str, bytes, str]]:
    """Yield (what, the damaged file, a word of the expected message)."""
    header = _header_end(encrypted)
    share = encrypted.index(b"X25519 ") + 7
    mac = encrypted.index(b"\n--- ") + 5
    yield "version line", _flip(encrypted, 3), "not an age file"
    yield "stanza share", _swap(encrypted, share + 2), "no matching keys"
    yield "stanza body", _swap(encrypted, encrypted.index(b"\n", share) + 2), "no matching keys"
    body = encrypted.index(b"\n", share) + 1
    yield "stanza body not base64", encrypted[:body] + b"*" + encrypted[body + 1 :], "not base64"
    yield "stanza type changed", _flip(encrypted, share - 4), "no matching keys"
    yield "header MAC", _swap(encrypted, mac + 3), "MAC"
    yield "payload nonce", _flip(encrypted, header + 5), "does not authenticate"
    yield "first chunk", _flip(encrypted, header + 16 + 100), "chunk 0"
    yield "last chunk", _flip(encrypted, len(encrypted) - 3), "last chunk"
    yield "cut inside the header", encrypted[: header - 10], "inside its header"
    yield "cut after the header", encrypted[:header], "before its payload"
    yield "cut after the nonce", encrypted[: header + 16], "inside a chunk"
    yield "cut at a chunk boundary", encrypted[: header + 16 + CHUNK], "last chunk"
    yield "cut inside a chunk", encrypted[: header + 16 + CHUNK + 500], "last chunk"
    yield "bytes appended", encrypted + b"more", "last chunk"
    yield "stanza line removed", encrypted[: share - 10] + encrypted[header - 60 :], "header"
    yield "empty", b"", "inside its header"


def test_every_damage_fails_with_its_reason(identity: pyrage.x25519.Identity) -> None:
    """Each change or cut fails at the latest on close, naming what is wrong."""
    encrypted = pyrage.encrypt(_payload(3 * 65536 + 100), [identity.to_public()])
    keys = [X25519Key.from_identity(identity)]
    for what, damaged, word in _cases(encrypted):
        error = _failure(damaged, keys)
        assert word in str(error), (what, str(error))
        assert error.no_matching_key == (word == "no matching keys"), what


def test_nothing_unauthenticated_reaches_the_sink(identity: pyrage.x25519.Identity) -> None:
    """A damaged second chunk stops the stream with only the first chunk written on."""
    plain = _payload(3 * 65536)
    encrypted = pyrage.encrypt(plain, [identity.to_public()])
    damaged = _flip(encrypted, _header_end(encrypted) + 16 + CHUNK + 10)
    sink = io.BytesIO()
    writer = AgeDecryptingWriter(sink, [X25519Key.from_identity(identity)], Failed)
    with pytest.raises(Failed, match="chunk 1"):
        writer.write(damaged)
    assert sink.getvalue() == plain[:65536]
    with pytest.raises(Failed, match="chunk 1"):
        writer.write(b"more")  # the failure sticks


def test_a_low_order_share_is_refused(identity: pyrage.x25519.Identity) -> None:
    """An X25519 share giving an all-zero secret is malformed, not tried as a key."""
    encrypted = pyrage.encrypt(b"x", [identity.to_public()])
    share = encrypted.index(b"X25519 ") + 7
    zero = base64.b64encode(bytes(32)).rstrip(b"=")
    forged = encrypted[:share] + zero + encrypted[share + len(zero) :]
    assert "invalid X25519 share" in str(_failure(forged, [X25519Key.from_identity(identity)]))


def test_non_canonical_base64_is_refused(identity: pyrage.x25519.Identity) -> None:
    """The last base64 character of the MAC with other unused bits is not accepted."""
    encrypted = pyrage.encrypt(b"x", [identity.to_public()])
    end = encrypted.index(b"\n", encrypted.index(b"\n--- ") + 1) - 1
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    # 43 characters hold 258 bits of which the MAC uses 256: the last 2 bits must be 0.
    bumped = alphabet[alphabet.index(encrypted[end]) + 1 : alphabet.index(encrypted[end]) + 2]
    forged = encrypted[:end] + bumped + encrypted[end + 1 :]
    assert "canonical" in str(_failure(forged, [X25519Key.from_identity(identity)]))


def test_an_armored_file_is_named(identity: pyrage.x25519.Identity) -> None:
    """A PEM-armored age file is refused saying so."""
    armored = pyrage.encrypt(b"x", [identity.to_public()], armored=True)
    assert "armored" in str(_failure(armored, [X25519Key.from_identity(identity)]))


def test_sink_errors_pass_through_unchanged(identity: pyrage.x25519.Identity) -> None:
    """The sink's own exception is not mapped into a decryption error."""

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    encrypted = pyrage.encrypt(_payload(200_000), [identity.to_public()])
    writer = AgeDecryptingWriter(binary(Full()), [X25519Key.from_identity(identity)], Failed)
    with pytest.raises(OSError, match="No space left"):
        writer.write(encrypted)


def test_an_abandoned_stream_checks_nothing(
    identity: pyrage.x25519.Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving a ``with`` block by an exception, or dropping the stream, raises nothing more."""
    encrypted = pyrage.encrypt(_payload(200_000), [identity.to_public()])
    keys = [X25519Key.from_identity(identity)]
    with pytest.raises(KeyError), AgeDecryptingWriter(io.BytesIO(), keys, Failed) as writer:
        writer.write(encrypted[:1000])
        raise KeyError("the caller's own error")
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    dropped = AgeDecryptingWriter(io.BytesIO(), keys, Failed)
    dropped.write(encrypted[:1000])
    del dropped
    gc.collect()
    assert unraisable == []


def test_identity_conversion_refuses_other_text() -> None:
    """Only an ``AGE-SECRET-KEY-1…`` identity converts."""
    identity = pyrage.x25519.Identity.generate()
    _, words = bech32_decode(str(identity.to_public()))
    assert words is not None
    recipient = bytes(convertbits(words, 5, 8, False) or b"")
    assert X25519Key.from_identity(identity).public == recipient

    class NotAnIdentity:
        def __str__(self) -> str:
            return "age1notasecret"

    with pytest.raises(ValueError, match="not an age X25519 identity"):
        X25519Key.from_identity(NotAnIdentity())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize("size", [0, 65536, 2 * 65536, 300_001])
def test_files_of_the_age_command_decrypt(age: str, tmp_path: Path, size: int) -> None:
    """What ``age -r`` writes (two recipients) decrypts with the second one's identity."""
    first, second = pyrage.x25519.Identity.generate(), pyrage.x25519.Identity.generate()
    plain = _payload(size)
    (tmp_path / "plain").write_bytes(plain)
    recipients = ["-r", str(first.to_public()), "-r", str(second.to_public())]
    subprocess.run(
        [age, *recipients, "-o", str(tmp_path / "file.age"), str(tmp_path / "plain")],
        check=True,
        timeout=60,
    )
    encrypted = (tmp_path / "file.age").read_bytes()
    assert _decrypt(encrypted, [X25519Key.from_identity(second)], step=5000) == plain


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _key(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _handmade(recipient: bytes, chunks: list[tuple[bytes, bool]], grease: bytes = b"") -> bytes:
    """Return an age file to ``recipient`` built by hand: ``grease`` stanzas, given chunks.

    The decryptor's rules for odd files (an empty last chunk, unknown stanzas, long
    bodies) can only be tested on files pyrage never writes.
    """
    file_key = bytes(range(16))
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    wrap = _key(shared, share + recipient, b"age-encryption.org/v1/X25519")
    body = ChaCha20Poly1305(wrap).encrypt(bytes(12), file_key, None)
    stanza = b"-> X25519 " + _b64(share) + b"\n" + _b64(body) + b"\n"
    header = b"age-encryption.org/v1\n" + grease + stanza + b"---"
    mac = hmac.HMAC(_key(file_key, b"", b"header"), hashes.SHA256())
    mac.update(header)
    nonce = bytes(16)
    cipher = ChaCha20Poly1305(_key(file_key, nonce, b"payload"))
    payload = b"".join(
        cipher.encrypt(index.to_bytes(11, "big") + bytes([last]), plain, None)
        for index, (plain, last) in enumerate(chunks)
    )
    return header + b" " + _b64(mac.finalize()) + b"\n" + nonce + payload


def _grease() -> bytes:
    """Return an unknown stanza with a 100-byte body (three base64 lines)."""
    text = _b64(bytes(range(100)))
    lines = b"".join(text[start : start + 64] + b"\n" for start in range(0, len(text), 64))
    return b"-> grease-type arg1 arg2\n" + lines


def test_handmade_files_are_age_files(age: str, tmp_path: Path) -> None:
    """The hand-built files of the tests below are ones the age command itself opens."""
    identity = pyrage.x25519.Identity.generate()
    key = X25519Key.from_identity(identity)
    made = _handmade(key.public, [(b"A" * 65536, False), (b"tail", True)], _grease())
    (tmp_path / "identity.txt").write_text(f"{identity}\n")
    (tmp_path / "file.age").write_bytes(made)
    result = subprocess.run(
        [age, "-d", "-i", str(tmp_path / "identity.txt"), str(tmp_path / "file.age")],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == b"A" * 65536 + b"tail"
    assert _decrypt(made, [key], step=777) == result.stdout


def test_unknown_stanzas_are_skipped(identity: pyrage.x25519.Identity) -> None:
    """A stanza of another type (a multi-line body) before ours is passed over."""
    key = X25519Key.from_identity(identity)
    assert _decrypt(_handmade(key.public, [(b"hello", True)], _grease()), [key]) == b"hello"


def test_an_empty_last_chunk_is_refused_after_full_chunks(
    identity: pyrage.x25519.Identity,
) -> None:
    """Only an empty file may end in an empty chunk; after full chunks it is invalid."""
    key = X25519Key.from_identity(identity)
    assert _decrypt(_handmade(key.public, [(b"", True)]), [key]) == b""
    padded = _handmade(key.public, [(b"A" * 65536, False), (b"", True)])
    assert "last chunk is empty" in str(_failure(padded, [key]))


def test_a_short_chunk_before_the_end_is_refused(identity: pyrage.x25519.Identity) -> None:
    """A chunk marked last that is followed by more bytes fails (nothing after the end)."""
    key = X25519Key.from_identity(identity)
    early = _handmade(key.public, [(b"A" * 65536, True), (b"B" * 10, True)])
    assert "chunk 0" in str(_failure(early, [key]))

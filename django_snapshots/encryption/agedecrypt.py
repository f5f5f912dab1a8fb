"""Decrypt age files (X25519 recipients) in one pushed pass, with ``cryptography``.

pyrage decrypts at a fraction of the speed of the cipher underneath it, and only
through a blocking ``decrypt_io`` call that needs a worker thread. The age format
(https://age-encryption.org/v1) is small: a text header of recipient stanzas closed by
an HMAC, then a 16-byte nonce and the payload in 64 KiB ChaCha20-Poly1305 chunks
(STREAM). :class:`AgeDecryptingWriter` reads it as it is written: it finds the X25519
stanza one of its keys opens, checks the header MAC, then decrypts and hands on each
chunk as soon as it is known not to be the last one. Every chunk is authenticated
before a byte of it is written on, and a file cut at any point fails at :meth:`close`.

Encryption stays with pyrage (``encrypt_io``); the interop tests hold both directions
against the ``age`` command.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import re
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import IO, Any, Final

import pyrage
from bech32 import bech32_decode, convertbits
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["AgeDecryptError", "AgeDecryptingWriter", "X25519Key", "hkdf_sha256"]

VERSION_LINE: Final = b"age-encryption.org/v1\n"
"""The first line of every age file (format version 1)."""
MAX_HEADER: Final = 1024 * 1024
"""Bytes a header may take before the file is refused (about 10,000 recipients)."""

_PLAIN_CHUNK: Final = 64 * 1024
_TAG: Final = 16
_CHUNK: Final = _PLAIN_CHUNK + _TAG
_NONCE: Final = 16
_COLUMNS: Final = 64
_BASE64: Final = re.compile(rb"[A-Za-z0-9+/]*")
_X25519_LABEL: Final = b"age-encryption.org/v1/X25519"
_ARMOR: Final = b"-----BEGIN AGE ENCRYPTED FILE-----"


class AgeDecryptError(ValueError):
    """The bytes are not an age file these keys open; ``no_matching_key`` says which."""

    def __init__(self, message: str, *, no_matching_key: bool = False) -> None:
        """Describe the failure in ``message``."""
        super().__init__(message)
        self.no_matching_key: bool = no_matching_key
        """True if the file is well formed but encrypted to none of the keys."""


class X25519Key:
    """An X25519 identity in the form the decryptor uses: the key and its public bytes."""

    def __init__(self, secret: bytes) -> None:
        """Load the 32-byte X25519 ``secret``."""
        self.private: X25519PrivateKey = X25519PrivateKey.from_private_bytes(secret)
        """The private key."""
        self.public: bytes = self.private.public_key().public_bytes_raw()
        """The 32-byte public key (the recipient), part of the wrapping key's salt."""

    @classmethod
    def from_identity(cls, identity: pyrage.x25519.Identity) -> X25519Key:
        """Return the key of a pyrage identity (its ``AGE-SECRET-KEY-1…`` Bech32 text)."""
        prefix, words = bech32_decode(str(identity).lower())
        secret = convertbits(words, 5, 8, False) if words is not None else None
        if prefix != "age-secret-key-" or secret is None or len(secret) != 32:
            raise ValueError("not an age X25519 identity")
        return cls(bytes(secret))


def hkdf_sha256(secret: bytes, salt: bytes, info: bytes) -> bytes:
    """Return age's HKDF-SHA256 of ``secret`` (32 bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _b64(text: bytes, what: str) -> bytes:
    """Decode age's canonical unpadded base64; refuse anything else."""
    if _BASE64.fullmatch(text) is None or len(text) % 4 == 1:
        raise AgeDecryptError(f"malformed header: {what} is not base64")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4))
    except binascii.Error:
        raise AgeDecryptError(f"malformed header: {what} is not base64") from None
    if base64.b64encode(data).rstrip(b"=") != text:
        raise AgeDecryptError(f"malformed header: {what} is not canonical base64")
    return data


def _stanzas(lines: list[bytes]) -> list[tuple[list[bytes], bytes]]:
    """Return each stanza's arguments and decoded body, from the header's stanza lines."""
    stanzas: list[tuple[list[bytes], bytes]] = []
    position = 0
    while position < len(lines):
        line = lines[position]
        args = line[3:].split(b" ")
        if not line.startswith(b"-> ") or not all(args):
            raise AgeDecryptError("malformed header: expected a recipient stanza")
        body = b""
        position += 1
        while True:
            if position == len(lines):
                raise AgeDecryptError("malformed header: a stanza body is incomplete")
            piece = lines[position]
            position += 1
            if len(piece) > _COLUMNS:
                raise AgeDecryptError("malformed header: a stanza body line is too long")
            body += _b64(piece, "a stanza body")
            if len(piece) < _COLUMNS:
                break
        stanzas.append((args, body))
    return stanzas


def _file_key(stanzas: list[tuple[list[bytes], bytes]], keys: Sequence[X25519Key]) -> bytes:
    """Return the file key the first X25519 stanza one of ``keys`` opens."""
    for args, body in stanzas:
        if args[0] != b"X25519":
            continue  # another recipient type, or grease: not for an X25519 identity
        share = _b64(args[1], "an X25519 share") if len(args) == 2 else b""
        if len(share) != 32 or len(body) != 32:
            raise AgeDecryptError("malformed header: invalid X25519 stanza")
        for key in keys:
            try:
                shared = key.private.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError:  # a low-order point: the shared secret would be zero
                raise AgeDecryptError("malformed header: invalid X25519 share") from None
            wrap = ChaCha20Poly1305(hkdf_sha256(shared, share + key.public, _X25519_LABEL))
            try:
                return wrap.decrypt(bytes(12), body, None)
            except InvalidTag:
                continue
    raise AgeDecryptError("no matching keys: no identity opens this file", no_matching_key=True)


def _header(data: bytes | memoryview, keys: Sequence[X25519Key]) -> tuple[int, bytes] | None:
    """Return where the header ends and the file key, or None if it is not all there yet."""
    head = bytes(data[: min(len(data), MAX_HEADER)])
    if not VERSION_LINE.startswith(head[: len(VERSION_LINE)]):
        if head.startswith(_ARMOR[: len(head)]):
            raise AgeDecryptError("an armored (PEM) age file: only binary age files are read")
        raise AgeDecryptError("not an age file (no age-encryption.org/v1 header)")
    mark = head.find(b"\n--- ")
    end = head.find(b"\n", mark + 1) if mark >= 0 else -1
    if end < 0:
        if len(head) >= MAX_HEADER:
            raise AgeDecryptError(f"malformed header: longer than {MAX_HEADER} bytes")
        return None
    if mark < len(VERSION_LINE):
        raise AgeDecryptError("malformed header: it has no recipient stanza")
    lines = head[len(VERSION_LINE) : mark].split(b"\n")
    file_key = _file_key(_stanzas(lines), keys)
    mac = _b64(head[mark + 5 : end], "the header MAC")
    expected = hmac.digest(hkdf_sha256(file_key, b"", b"header"), head[: mark + 4], "sha256")
    if not hmac.compare_digest(mac, expected):
        raise AgeDecryptError("the header MAC does not match (the header was changed)")
    return end + 1, file_key


class AgeDecryptingWriter(io.RawIOBase):
    """A writable stream that decrypts the age file written to it into ``sink``.

    :meth:`close` checks the file ended where its last chunk says, and raises the
    failure if anything was wrong; leaving a ``with`` block because of an exception
    abandons the stream instead. Exceptions of ``sink`` itself pass through unchanged;
    the decryptor's own (:class:`AgeDecryptError`) go through ``on_error``.
    """

    def __init__(
        self,
        sink: IO[bytes],
        keys: Sequence[X25519Key],
        on_error: Callable[[AgeDecryptError], BaseException],
    ) -> None:
        """Decrypt into ``sink`` with the first of ``keys`` that opens the file."""
        super().__init__()
        self._sink = sink
        self._keys = list(keys)
        self._on_error = on_error
        self._pending = b""
        self._opened: tuple[int, bytes] | None = None
        self._cipher: ChaCha20Poly1305 | None = None
        self._counter = 0
        self._failure: BaseException | None = None

    def writable(self) -> bool:
        """Return True: this stream is written to."""
        return True

    def write(self, data: Any) -> int:
        """Decrypt what ``data`` completes and write it on; raise if the file is bad."""
        if self.closed:
            raise ValueError("write to a closed stream")
        size = memoryview(data).nbytes
        self._step(data, final=False)
        return size

    def _step(self, data: Any, *, final: bool) -> None:
        """Take ``data`` in, and write on every chunk known to be complete and authentic."""
        if self._failure is not None:
            raise self._failure
        view = memoryview(data).cast("B")
        try:
            if self._cipher is None:
                view = memoryview(self._pending + bytes(view))
                self._pending = b""
                offset = self._start(view, final=final)
                if offset is None:
                    self._pending = bytes(view)
                    return
                view = view[offset:]
            self._payload(view, final=final)
        except AgeDecryptError as error:
            self._failure = self._on_error(error)
            raise self._failure from None

    def _start(self, view: memoryview, *, final: bool) -> int | None:
        """Read the header and the payload nonce; return where the chunks start, if there."""
        if self._opened is None:
            # Kept: the key exchange runs once, even if the nonce arrives in a later write.
            self._opened = _header(view, self._keys)
        if self._opened is None:
            if final:
                raise AgeDecryptError("truncated: the file ends inside its header")
            return None
        offset, file_key = self._opened
        if len(view) - offset < _NONCE:
            if final:
                raise AgeDecryptError("truncated: the file ends before its payload")
            return None
        nonce = bytes(view[offset : offset + _NONCE])
        self._cipher = ChaCha20Poly1305(hkdf_sha256(file_key, nonce, b"payload"))
        return offset + _NONCE

    def _payload(self, view: memoryview, *, final: bool) -> None:
        """Decrypt the chunks ``view`` completes into the sink; hold back the rest."""
        # The last chunk is whatever remains at the end: hold back one chunk until then.
        # Chunks are decrypted in place and written on one by one: copying or joining
        # them (fresh 1 MiB buffers) costs more than the cipher.
        if self._pending:
            take = min(_CHUNK - len(self._pending), len(view))
            self._pending += bytes(view[:take])
            view = view[take:]
            if not view:
                if final:
                    self._last(self._pending)
                return
            self._sink.write(self._open(self._pending, last=False))
            self._pending = b""
        offset = 0
        while len(view) - offset > _CHUNK:
            self._sink.write(self._open(view[offset : offset + _CHUNK], last=False))
            offset += _CHUNK
        if final:
            self._last(view[offset:])
        else:
            self._pending = bytes(view[offset:])

    def _last(self, chunk: bytes | memoryview) -> None:
        """Decrypt the final chunk into the sink; raise if the file did not end properly."""
        self._pending = b""
        if len(chunk) < _TAG:
            raise AgeDecryptError("truncated: the file ends inside a chunk")
        if len(chunk) == _TAG and self._counter > 0:
            raise AgeDecryptError("invalid payload: the last chunk is empty")
        plain = self._open(chunk, last=True)
        if plain:
            self._sink.write(plain)

    def _open(self, chunk: bytes | memoryview, *, last: bool) -> bytes:
        """Return the plaintext of the next chunk; raise if it is not authentic."""
        assert self._cipher is not None
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            plain = self._cipher.decrypt(nonce, chunk, None)
        except InvalidTag:
            where = "the last chunk" if last else f"chunk {self._counter}"
            raise AgeDecryptError(
                f"{where} does not authenticate (the file was changed or truncated)"
            ) from None
        self._counter += 1
        return plain

    def close(self) -> None:
        """Decrypt the last chunk, check the file is complete, and close the stream."""
        if self.closed:
            return
        try:
            self._step(b"", final=True)
        finally:
            super().close()

    def abort(self) -> None:
        """Close without checking the end (the bytes were abandoned)."""
        super().close()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close normally, or abort when the block raised."""
        if kind is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        """Abandon an unclosed stream quietly (a garbage-collected stream checks nothing)."""
        self.abort()

"""Tests of the stream stages: hashing, zstd/gzip codecs and codec detection."""

from __future__ import annotations

import gzip
import hashlib
import io
import os

import pytest
import zstandard

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.streams import (
    Codec,
    HashingReader,
    HashingWriter,
    IteratorReader,
    binary,
    compressing_reader,
    decompressing_writer,
    detect_codec,
    iter_chunks,
    sniff_codec,
)

DATA = os.urandom(300_000) + b"text " * 400_000


def test_hashing_reader_counts_and_hashes_what_passes() -> None:
    """HashingReader reports the size and sha256 of exactly the bytes read through it."""
    reader = HashingReader(io.BytesIO(DATA))
    assert b"".join(iter_chunks(binary(reader), 4096)) == DATA
    assert reader.size == len(DATA)
    assert reader.checksum == "sha256:" + hashlib.sha256(DATA).hexdigest()


def test_hashing_writer_forwards_and_reports_progress() -> None:
    """HashingWriter forwards every byte to its sink and reports running totals."""
    sink = io.BytesIO()
    seen: list[int] = []
    writer = HashingWriter(sink, seen.append)
    for chunk in (DATA[:10], DATA[10:]):
        writer.write(chunk)
    assert sink.getvalue() == DATA
    assert writer.checksum == "sha256:" + hashlib.sha256(DATA).hexdigest()
    assert seen == [10, len(DATA)]


def test_zstd_round_trip_through_reader_and_writer() -> None:
    """zstd-compressing on read and decompressing on write gives back the input."""
    compressed = b"".join(iter_chunks(compressing_reader(io.BytesIO(DATA), "zstd")))
    assert compressed.startswith(b"\x28\xb5\x2f\xfd")
    assert len(compressed) < len(DATA)
    out = io.BytesIO()
    writer = decompressing_writer(out, "zstd")
    for index in range(0, len(compressed), 7777):
        writer.write(compressed[index : index + 7777])
    writer.close()
    assert out.getvalue() == DATA


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_a_writer_abandoned_after_its_sink_closed_closes_quietly(codec: Codec) -> None:
    """Closing a decompressing writer whose sink an error path closed first raises nothing."""
    compressed = (
        gzip.compress(DATA) if codec == "gzip" else zstandard.ZstdCompressor().compress(DATA)
    )
    sink = io.BytesIO()
    writer = decompressing_writer(sink, codec)
    writer.write(compressed[: len(compressed) // 2])
    sink.close()
    writer.close()
    assert writer.closed


def test_zstd_writer_reads_concatenated_frames() -> None:
    """A stored file made of several zstd frames decompresses to their concatenation."""
    frames = zstandard.compress(b"first ") + zstandard.compress(b"second")
    out = io.BytesIO()
    writer = decompressing_writer(out, "zstd")
    writer.write(frames)
    writer.close()
    assert out.getvalue() == b"first second"


def test_gzip_writer_reads_0_1_0b1_style_gzip_including_multiple_members() -> None:
    """gzip input (as 0.1.0b1 wrote it), even with several members, decompresses fully."""
    payload = gzip.compress(DATA) + gzip.compress(b"tail")
    out = io.BytesIO()
    writer = decompressing_writer(out, "gzip")
    for index in range(0, len(payload), 5000):
        writer.write(payload[index : index + 5000])
    writer.close()
    assert out.getvalue() == DATA + b"tail"


def test_none_codec_passes_through() -> None:
    """The 'none' codec neither compresses nor decompresses."""
    assert compressing_reader(io.BytesIO(b"abc"), "none").read() == b"abc"
    out = io.BytesIO()
    assert decompressing_writer(out, "none") is out


def test_corrupt_zstd_raises_zstd_error() -> None:
    """Garbage after a zstd magic number makes the decompressing writer raise."""
    writer = decompressing_writer(io.BytesIO(), "zstd")
    with pytest.raises(zstandard.ZstdError):
        writer.write(b"\x28\xb5\x2f\xfd" + b"\xff" * 64)
        writer.close()


def test_gzip_is_never_written() -> None:
    """New artifacts are never gzip-compressed."""
    with pytest.raises(ValueError, match="gzip"):
        compressing_reader(io.BytesIO(b""), "gzip")


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"Djan", "none"),
        (b"", "none"),
    ],
)
def test_sniff_codec_uses_magic_bytes(head: bytes, codec: str) -> None:
    """Magic bytes identify gzip and zstd; anything else is uncompressed."""
    assert sniff_codec(head) == codec


def test_detect_codec_prefers_recorded_metadata() -> None:
    """The codec recorded in metadata wins over magic bytes; an unknown one is an error."""
    assert detect_codec({"compression": "none"}, b"\x1f\x8b") == "none"
    assert detect_codec({}, b"\x1f\x8b") == "gzip"
    with pytest.raises(SnapshotIntegrityError, match="brotli"):
        detect_codec({"compression": "brotli"}, b"")


def test_iterator_reader_serves_partial_reads() -> None:
    """IteratorReader returns exactly the requested sizes across chunk boundaries."""
    reader = IteratorReader(iter([b"abc", b"defg"]))
    assert [reader.read(2), reader.read(2), reader.read(-1), reader.read(5), reader.read(1)] == [
        b"ab",
        b"c",
        b"defg",
        b"",
        b"",
    ]

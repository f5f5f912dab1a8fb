"""The pool's formats: content ids, tables, codecs, file lists, packs and index files."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
import zstandard

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.pool.codec import IdentityCodec, ZstdCodec
from django_snapshots.pool.filelist import (
    FileEntry,
    FileListHeader,
    FileListReader,
    FileListWriter,
    is_file_list,
)
from django_snapshots.pool.ids import HmacSha256Ids, Sha256Ids, content_id, is_content_id
from django_snapshots.pool.index import IndexBuilder, iter_index_file, load_index
from django_snapshots.pool.layout import PoolPaths, ensure_config
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.packs import (
    PackBuilder,
    decode_blob,
    encode_blob,
    fetch_pack,
    read_pack_header,
    upload_pack,
)
from django_snapshots.pool.tables import BlobLocation, IdSet, LocationTable
from django_snapshots.storage.protocols import SnapshotStorage

ID = "ab" * 32


def test_sha256_ids_are_plain_digests() -> None:
    """Without a key, a content id is the sha256 hex digest of the chunk."""
    assert content_id(Sha256Ids(), b"x") == hashlib.sha256(b"x").hexdigest()


def test_keyed_ids_depend_on_the_key_and_name_their_own_pool() -> None:
    """HMAC ids differ from sha256 and between keys; so do the pool folder names."""
    one, two = HmacSha256Ids(b"k" * 32), HmacSha256Ids(b"j" * 32)
    assert content_id(one, b"x") != content_id(two, b"x") != content_id(Sha256Ids(), b"x")
    assert one.fingerprint != two.fingerprint and one.fingerprint.startswith("hmac-")
    assert PoolOptions(ids=one).name == one.fingerprint
    assert "k" * 32 not in repr(one)
    with pytest.raises(ValueError, match="16 bytes"):
        HmacSha256Ids(b"short")


def test_content_ids_are_recognised() -> None:
    """Only 64 lowercase hex digits form a content id."""
    assert is_content_id(ID) and not is_content_id(ID.upper()) and not is_content_id(ID[:-1])


def test_id_set_and_location_table_find_what_was_added() -> None:
    """The compact tables answer membership and locations; first location wins."""
    ids = [os.urandom(32) for _ in range(5000)]
    table, seen = LocationTable(), IdSet()
    for number, key in enumerate(ids):
        assert seen.add(key)
        table.add(key, BlobLocation(table.pack_number(f"{number % 7:032x}"), number, 1, 2, 0))
    assert not seen.add(ids[0]) and len(seen) == 5000
    assert table.get(ids[42]) == BlobLocation(0, 42, 1, 2, 0)
    assert not table.add(ids[42], BlobLocation(1, 0, 0, 0, 0))
    assert os.urandom(32) not in seen and table.get(os.urandom(32)) is None
    assert sorted(seen) == sorted(ids) and len(dict(table.items())) == 5000


@pytest.mark.parametrize("codec", [IdentityCodec(), ZstdCodec()])
def test_codecs_round_trip(codec: IdentityCodec | ZstdCodec) -> None:
    """What the encoding reader yields, the decoding writer turns back into the original."""
    data = os.urandom(3000) * 100
    encoded = codec.encoding_reader(io.BytesIO(data)).read()
    sink = io.BytesIO()
    writer = codec.decoding_writer(sink)
    writer.write(encoded)
    writer.close()
    assert sink.getvalue() == data


def test_a_truncated_zstd_object_is_refused() -> None:
    """Closing the zstd decoder before the stream ended raises."""
    encoded = ZstdCodec().encoding_reader(io.BytesIO(os.urandom(5000))).read()
    writer = ZstdCodec().decoding_writer(io.BytesIO())
    writer.write(encoded[:-10])
    with pytest.raises(zstandard.ZstdError):
        writer.close()


def _file_list(entries: list[FileEntry]) -> bytes:
    out = io.BytesIO()
    writer = FileListWriter(out, FileListHeader("sha256", "sha256", "directory:/m", 4096, {"x": 1}))
    for entry in entries:
        writer.add(entry)
    writer.finish()
    return out.getvalue()


def test_file_lists_round_trip_and_keep_unknown_header_keys() -> None:
    """Entries of every kind come back as written; the header keeps unknown keys."""
    entries = [
        FileEntry("a", "dir", mode=0o755, mtime_ns=1),
        FileEntry("a/f", "file", 3, 0o644, 2, 99, ids=(ID,)),
        FileEntry("a/l", "link", target="f"),
        FileEntry("b", "file", 0, ids=(), racy=True),
    ]
    data = _file_list(entries)
    assert is_file_list(data[:512]) and not is_file_list(b"media/\0\0\0")
    reader = FileListReader(io.BytesIO(data))
    assert list(reader) == entries and reader.header.extra == {"x": 1}
    assert (reader.total_files, reader.total_bytes) == (2, 3)


def test_the_writer_refuses_entries_out_of_order() -> None:
    """Entries must come in canonical (component) order: 'a/b' before 'a-c'."""
    writer = FileListWriter(io.BytesIO(), FileListHeader("p", "sha256", "s", 1))
    writer.add(FileEntry("a/b", "dir"))
    writer.add(FileEntry("a-c", "dir"))
    with pytest.raises(ValueError, match="out of order"):
        writer.add(FileEntry("a", "dir"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"p": "../x", "k": "f", "s": 0, "c": []}', "leaves the archive root"),
        (b'{"p": "/etc/x", "k": "f", "s": 0, "c": []}', "absolute"),
        (b'{"p": "a//b", "k": "d"}', "normal form"),
        (b'{"p": "a", "k": "q"}', "unknown kind"),
        (b'{"p": "a", "k": "f", "s": 1, "c": ["nothex"]}', "content ids"),
        (b'{"p": "a", "k": "f", "s": 1, "c": []}', "no ids"),
        (b'{"p": "a", "k": "f", "s": -1, "c": []}', "non-negative"),
        (b'{"p": "a", "k": "l"}', "no target"),
        (b"[1, 2]", "not an object"),
        (b"{", "not JSON"),
    ],
)
def test_bad_file_list_lines_are_refused(line: bytes, message: str) -> None:
    """Unsafe paths, unknown kinds, bad ids and malformed lines raise integrity errors."""
    head, _, end = _file_list([]).partition(b"\n")
    data = head + b"\n" + line + b"\n" + end
    with pytest.raises(SnapshotIntegrityError, match=message):
        list(FileListReader(io.BytesIO(data)))


def test_repeated_and_truncated_file_lists_are_refused() -> None:
    """A repeated path, a missing closing line or wrong counts are refused."""
    entry = FileEntry("a", "dir")
    data = _file_list([entry])
    lines = data.splitlines(keepends=True)
    with pytest.raises(SnapshotIntegrityError, match="out of order or repeated"):
        list(FileListReader(io.BytesIO(lines[0] + lines[1] + lines[1] + lines[2])))
    with pytest.raises(SnapshotIntegrityError, match="truncated"):
        list(FileListReader(io.BytesIO(b"".join(lines[:2]))))
    with pytest.raises(SnapshotIntegrityError, match="closing line counts"):
        list(FileListReader(io.BytesIO(lines[0] + lines[2])))
    with pytest.raises(SnapshotIntegrityError, match="header"):
        FileListReader(io.BytesIO(b'{"format": "other"}\n'))


def test_blobs_are_compressed_only_when_it_helps() -> None:
    """Compressible chunks are stored as zstd, random ones as they are; both decode."""
    compressor = zstandard.ZstdCompressor(level=3)
    for data, flags in ((b"a" * 10_000, 1), (os.urandom(10_000), 0)):
        stored, got = encode_blob(compressor, data)
        assert got == flags
        blob_id = content_id(Sha256Ids(), data)
        assert decode_blob(Sha256Ids(), (blob_id, len(stored), len(data), got), stored) == data
    with pytest.raises(SnapshotIntegrityError, match="content id"):
        decode_blob(Sha256Ids(), (ID, 3, 3, 0), b"abc")


def test_packs_describe_themselves_and_are_verified_on_fetch(
    tmp_path: Path, local_store: SnapshotStorage
) -> None:
    """A stored pack's header lists its blobs; a fetch checks size and sha256."""
    paths = ensure_config(local_store, PoolOptions())
    builder = PackBuilder(tmp_path)
    chunks = [os.urandom(100), b"x" * 1000]
    for chunk in chunks:
        data, flags = encode_blob(zstandard.ZstdCompressor(), chunk)
        builder.add(content_id(Sha256Ids(), chunk), len(chunk), data, flags)
    record = upload_pack(local_store, paths, IdentityCodec(), builder.seal(), builder.blobs)
    local = tmp_path / "fetched"
    fetch_pack(local_store, paths, IdentityCodec(), record, local, record.pack_id)
    assert read_pack_header(local) == list(record.blobs)
    with local_store.read(paths.pack(record.pack_id)) as stream:
        raw = bytearray(stream.read())
    raw[0] ^= 1
    local_store.write(paths.pack(record.pack_id), io.BytesIO(bytes(raw)))
    with pytest.raises(SnapshotIntegrityError, match="is corrupt"):
        fetch_pack(local_store, paths, IdentityCodec(), record, local, record.pack_id)


def test_index_files_round_trip_and_refuse_truncation(
    tmp_path: Path, local_store: SnapshotStorage
) -> None:
    """An index file lists its packs' blobs; a cut one is refused."""
    paths = ensure_config(local_store, PoolOptions())
    builder = PackBuilder(tmp_path)
    builder.add(ID, 3, b"abc", 0)
    record = upload_pack(local_store, paths, IdentityCodec(), builder.seal(), builder.blobs)
    index = IndexBuilder(tmp_path)
    index.add(record)
    path = index.upload(local_store, paths, IdentityCodec())
    assert list(iter_index_file(local_store, IdentityCodec(), path, tmp_path)) == [record]
    loaded = load_index(local_store, paths, IdentityCodec(), tmp_path)
    assert loaded.locations.get(bytes.fromhex(ID)) == BlobLocation(0, 0, 3, 3, 0)
    with local_store.read(path) as stream:
        raw = stream.read()
    local_store.write(path, io.BytesIO(raw[: len(raw) // 2]))
    with pytest.raises(SnapshotIntegrityError):
        list(iter_index_file(local_store, IdentityCodec(), path, tmp_path))


def test_a_pool_config_must_match_the_options(local_store: SnapshotStorage) -> None:
    """Opening a pool with another codec name than it was created with is refused."""
    paths = ensure_config(local_store, PoolOptions())
    assert paths == PoolPaths("sha256")
    local_store.write(
        paths.config,
        io.BytesIO(b'{"version": 1, "ids": "sha256", "fingerprint": "sha256", "codec": "zstd"}'),
    )
    with pytest.raises(SnapshotIntegrityError, match="codec"):
        ensure_config(local_store, PoolOptions())


def test_pool_paths_recognise_their_own_objects() -> None:
    """Pack and index paths parse back to their ids; anything else is not one."""
    paths = PoolPaths("sha256")
    pack = "0123456789abcdef0123456789abcdef"
    assert paths.pack_id(paths.pack(pack)) == pack
    assert paths.index_id(paths.index(pack)) == pack
    assert paths.pack_id(".pool/sha256/packs/ff/" + pack + ".pack") is None
    with pytest.raises(ValueError, match="pool name"):
        PoolPaths("../x")


def test_built_in_pool_parts_conform_at_runtime(tmp_path: Path) -> None:
    """The id schemes, codecs and media sources pass the signature-comparing check."""
    from django.core.files.storage import InMemoryStorage

    from django_snapshots.artifacts.context import BindableArtifact
    from django_snapshots.artifacts.media import MediaArtifactExporter, MediaArtifactImporter
    from django_snapshots.artifacts.media_sources import DirectoryMediaSource, StorageMediaSource
    from django_snapshots.artifacts.protocols import ArtifactExporter, ArtifactImporter
    from django_snapshots.conformance import check_conformance
    from django_snapshots.pool.codec import PoolCodec
    from django_snapshots.pool.ids import ContentIds
    from django_snapshots.pool.source import TreeSource

    cases: list[tuple[object, type]] = [
        (Sha256Ids(), ContentIds),
        (HmacSha256Ids(b"k" * 16), ContentIds),
        (IdentityCodec(), PoolCodec),
        (ZstdCodec(), PoolCodec),
        (DirectoryMediaSource(tmp_path), TreeSource),
        (StorageMediaSource(InMemoryStorage()), TreeSource),
        (MediaArtifactExporter(tmp_path), ArtifactExporter),
        (MediaArtifactExporter(tmp_path), BindableArtifact),
        (MediaArtifactImporter(tmp_path), ArtifactImporter),
        (MediaArtifactImporter(tmp_path), BindableArtifact),
    ]
    for obj, protocol in cases:
        assert check_conformance(obj, protocol) == [], (obj, protocol)


@pytest.mark.parametrize(
    "entry",
    [
        FileEntry("a", "dir", mode=0o755, mtime_ns=1),
        FileEntry('q"uote\\s/ünï\u2603', "file", 5, 0o600, 2, 3, ids=(ID, ID), racy=True),
        FileEntry("surrogate\udcff", "file", 0),
        FileEntry("l", "link", target='tar"get'),
    ],
)
def test_fast_lines_are_the_json_of_the_entry(entry: FileEntry) -> None:
    """The fast line writer emits exactly the JSON object to_json describes."""
    import json

    assert json.loads(entry.to_line()) == entry.to_json()
    assert entry.to_line().endswith(b"}\n")

"""Static typing cases for the media pool, media sources and the artifact context hook.

Type-checked only; negative cases carry both checkers' error codes (see test_storage).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

from django.core.files.storage import InMemoryStorage
from typing_extensions import assert_type

from django_snapshots import ArtifactContext, BindableArtifact
from django_snapshots.artifacts import (
    ArtifactExporter,
    ArtifactImporter,
    DirectoryMediaSource,
    MediaArtifactExporter,
    MediaArtifactImporter,
    StorageMediaSource,
    StorageMediaTarget,
    bind_artifact,
    make_context,
)
from django_snapshots.artifacts.context import ContextFormat
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.pool import (
    ContentIds,
    FetchedTree,
    FileEntry,
    GarbageReport,
    Hasher,
    HmacSha256Ids,
    IdentityCodec,
    PoolCodec,
    PoolOptions,
    PoolStatus,
    PoolVerification,
    Sha256Ids,
    StoreStats,
    TreeSource,
    ZstdCodec,
    check_pool,
    collect_all_garbage,
    collect_garbage,
    fetch_tree,
    open_previous,
    parse_subset,
    store_tree,
    verify_pool,
)
from django_snapshots.storage import LocalFileSystemBackend, SnapshotStorage


def builtins_satisfy_the_pool_protocols(sink: IO[bytes]) -> None:
    """The id schemes, codecs and media sources satisfy their protocols."""
    plain: ContentIds = Sha256Ids()
    keyed: ContentIds = HmacSha256Ids(b"k" * 32)
    identity: PoolCodec = IdentityCodec()
    zstd: PoolCodec = ZstdCodec(level=3)
    local: TreeSource = DirectoryMediaSource("/srv/media")
    remote: TreeSource = StorageMediaSource(InMemoryStorage())
    hasher: Hasher = plain.hasher()
    assert_type(keyed.fingerprint, str)
    assert_type(identity.decoding_writer(sink), IO[bytes])
    assert_type(zstd.name, str)
    assert_type(local.has_inodes, bool)
    assert_type(remote.identity, str)
    assert_type(hasher.hexdigest(), str)


def media_artifacts_are_bindable(store: SnapshotStorage) -> None:
    """The media exporter and importer are artifacts and take the context."""
    exporter: ArtifactExporter = MediaArtifactExporter(storage="default", full=True)
    importer: ArtifactImporter = MediaArtifactImporter(storage=InMemoryStorage(), mode="merge")
    bindable: BindableArtifact = MediaArtifactExporter("/srv/media")
    context = make_context(store, "snap", "directory", exporter, pool=PoolOptions())
    assert_type(context, ArtifactContext)
    assert_type(context.pool, PoolOptions | None)
    assert_type(context.previous(lambda record: True), AbstractContextManager[Path | None])
    assert_type(bind_artifact(importer, context), None)
    assert_type(bindable.bind(context), None)
    assert_type(ArtifactContext(store, "snap", "archive", pool=None).snapshot_format, ContextFormat)


def pool_functions_are_typed(store: SnapshotStorage, out: IO[bytes]) -> None:
    """The engine-facing pool functions return precise types."""
    options = PoolOptions(ids=HmacSha256Ids(b"k" * 32), codec=ZstdCodec())
    assert_type(options.name, str)
    assert_type(collect_garbage(store, options, wait=5.0, max_unused=0.1), GarbageReport)
    assert_type(collect_garbage(store).freed, int)
    assert_type(collect_all_garbage(store, [options, PoolOptions()]), list[GarbageReport])
    assert_type(check_pool(store, options), PoolStatus)
    assert_type(check_pool(store).missing_snapshots, list[str])
    assert_type(verify_pool(store, read_data=True, subset=(1, 10)), PoolVerification)
    assert_type(verify_pool(store, snapshots=["a"]).ok, bool)
    assert_type(parse_subset("1/10"), tuple[int, int])
    source = DirectoryMediaSource("/srv/media")
    assert_type(
        store_tree(source, out, storage=store, options=options, snapshot_name="s"), StoreStats
    )
    with fetch_tree(store, options, Path("media.files")) as tree:
        assert_type(tree, FetchedTree)
        assert_type(tree.direct, bool)
    with open_previous(store, "media", "media.files") as previous:
        assert_type(previous, Path | None)
    assert_type(StorageMediaTarget("default").restore(lambda: iter([])).written, int)
    assert_type(FileEntry("a", "file").ids, tuple[str, ...])


class NoDecoder:
    """A codec without its decoding half."""

    name: str = "broken"

    def encoding_reader(self, source: IO[bytes]) -> IO[bytes]:
        """Return the source."""
        return source


class IntIds:
    """A content-id scheme whose hasher is not a Hasher."""

    name: str = "int"
    fingerprint: str = "int"

    def hasher(self) -> int:
        """Return a number."""
        return 0


class NoWalk:
    """A media source that cannot be walked."""

    identity: str = "x"
    has_inodes: bool = False

    def open(self, path: str) -> IO[bytes]:
        """Open nothing."""
        raise NotImplementedError


def wrong_pool_parts_are_rejected(record: ArtifactRecord) -> None:
    """Both checkers reject a codec, an id scheme and a source missing their contract."""
    codec: PoolCodec = NoDecoder()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    ids: ContentIds = IntIds()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    source: TreeSource = NoWalk()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    bindable: BindableArtifact = record  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    PoolOptions(chunk_size="big")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ArtifactContext(LocalFileSystemBackend("/x"), "s", "zip")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    del codec, ids, source, bindable

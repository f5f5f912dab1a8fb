"""The artifact context hook: bind() chooses the media layout before the engine runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from django_snapshots.artifacts.context import (
    ArtifactContext,
    BindableArtifact,
    bind_artifact,
    make_context,
    no_previous,
)
from django_snapshots.artifacts.environment import EnvironmentArtifactExporter
from django_snapshots.artifacts.media import MediaArtifactExporter, MediaArtifactImporter
from django_snapshots.exceptions import SnapshotError
from django_snapshots.pool.codec import ZstdCodec
from django_snapshots.pool.ids import HmacSha256Ids
from django_snapshots.pool.options import PoolOptions
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.pool.harness import Harness, make_tree, tree_of
from tests.pool.harness import cached_pip as cached_pip


def test_an_unbound_exporter_writes_the_tar(tmp_path: Path) -> None:
    """Without bind (an engine that does not know the hook) media stays media.tar."""
    exporter = MediaArtifactExporter(tmp_path)
    assert (exporter.filename, exporter.metadata) == ("media.tar", {"directory": str(tmp_path)})
    assert exporter.pool_options is None


def test_binding_a_directory_snapshot_selects_the_pool(tmp_path: Path) -> None:
    """bind with the directory format and pool options switches to media.files."""
    store = LocalFileSystemBackend(tmp_path / "store")
    (tmp_path / "media").mkdir()
    exporter = MediaArtifactExporter(tmp_path / "media")
    bind_artifact(exporter, ArtifactContext(store, "s", "directory"))
    assert exporter.filename == "media.files"
    assert exporter.metadata == {
        "directory": str(tmp_path / "media"),
        "layout": "pool",
        "pool": "sha256",
    }
    bind_artifact(exporter, ArtifactContext(store, "s", "archive"))
    assert exporter.filename == "media.tar" and "layout" not in exporter.metadata
    bind_artifact(exporter, ArtifactContext(store, "s", "directory", pool=None))
    assert exporter.filename == "media.tar"


def test_only_bindable_artifacts_are_bound(tmp_path: Path) -> None:
    """bind_artifact calls bind where it exists and ignores other artifacts."""
    store = LocalFileSystemBackend(tmp_path / "store")
    environment = EnvironmentArtifactExporter()
    bind_artifact(environment, ArtifactContext(store, "s", "directory"))
    assert isinstance(MediaArtifactImporter(tmp_path), BindableArtifact)
    assert not isinstance(environment, BindableArtifact)


def test_no_previous_yields_none() -> None:
    """The default previous-artifact opener finds nothing."""
    with no_previous(lambda record: True) as found:
        assert found is None


def test_a_pool_file_list_needs_a_bound_importer(tmp_path: Path) -> None:
    """Restoring a file list without the context names what is missing."""
    listing = tmp_path / "media.files"
    listing.write_bytes(b'{"format": "django-snapshots-files", "version": 1}\n')
    with pytest.raises(SnapshotError, match="needs the snapshot storage"):
        MediaArtifactImporter(tmp_path / "out").restore(listing)


def test_encrypting_codecs_and_keyed_ids_plug_into_the_pool(
    tmp_path: Path, cached_pip: None
) -> None:
    """A non-identity codec and keyed ids give their own pool; a wrong key is refused."""
    store = LocalFileSystemBackend(tmp_path / "store")
    keyed = PoolOptions(ids=HmacSha256Ids(b"k" * 32), codec=ZstdCodec())
    harness = Harness(store, keyed)
    source = make_tree(tmp_path / "media", {"a.txt": b"secret" * 100, "b/c.bin": b"c"})
    snapshot = harness.backup("s1", source)
    assert snapshot.artifacts[0].metadata["pool"] == f"{keyed.ids.fingerprint}-zstd"
    harness.restore("s1", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)
    stranger = Harness(store, PoolOptions(ids=HmacSha256Ids(b"j" * 32), codec=ZstdCodec()))
    with pytest.raises(SnapshotError, match="configure the key"):
        stranger.restore("s1", tmp_path / "other")
    assert not (tmp_path / "other").exists() or not list((tmp_path / "other").iterdir())


def test_make_context_finds_the_previous_artifact_by_the_bound_name(
    tmp_path: Path, cached_pip: None
) -> None:
    """make_context's previous() looks up the exporter's file name as bind left it."""
    store = LocalFileSystemBackend(tmp_path / "store")
    Harness(store).backup("s1", make_tree(tmp_path / "media", {"a": b"a"}))
    exporter = MediaArtifactExporter(tmp_path / "media")
    context = make_context(store, "s2", "directory", exporter)
    bind_artifact(exporter, context)
    with context.previous(lambda record: True) as found:
        assert found is not None and found.read_bytes().startswith(b'{"format"')
    with context.previous(lambda record: False) as found:
        assert found is None

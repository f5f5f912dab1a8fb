"""The runtime conformance check compares signatures, where isinstance only checks names."""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from django.core.files.storage import InMemoryStorage

from django_snapshots.artifacts.protocols import (
    ArtifactExporter,
    AsyncArtifactExporter,
    AsyncArtifactImporter,
)
from django_snapshots.conformance import assert_conforms, check_conformance
from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.storage import DjangoStorageBackend, LocalFileSystemBackend
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage


class GoodStorage:
    """A minimal conforming basic-tier backend (no inheritance)."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, path: str, content: IO[bytes]) -> None:
        return None

    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def delete(self, path: str) -> None:
        return None

    def exists(self, path: str) -> bool:
        return False


class WrongWriteNames(GoodStorage):
    """``write`` takes ``(self, key, data)``.

    Only pyright flags the renamed override; mypy does not compare parameter names
    (mypy issue 18680), hence the pyright-only ignore below.
    """

    def write(self, key: str, data: IO[bytes]) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        return None


class IntExists(GoodStorage):
    """``exists`` is the integer 5."""

    exists = 5  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


def test_isinstance_accepts_both_broken_backends() -> None:
    """isinstance on the runtime-checkable protocol accepts both broken backends."""
    assert isinstance(WrongWriteNames(), SnapshotStorage)
    assert isinstance(IntExists(), SnapshotStorage)


def test_wrong_write_parameter_names_are_reported() -> None:
    """A write taking (key, data) is reported, naming the member and both parameters."""
    assert check_conformance(WrongWriteNames(), SnapshotStorage) == [
        "write: parameter 1 is named 'key', the protocol names it 'path'",
        "write: parameter 2 is named 'data', the protocol names it 'content'",
    ]


def test_int_member_is_reported_as_not_callable() -> None:
    """An exists that is an int is reported as not callable."""
    assert check_conformance(IntExists(), SnapshotStorage) == [
        "exists: is not callable (found int)"
    ]


def test_assert_conforms_raises_type_error_listing_every_problem() -> None:
    """assert_conforms raises one TypeError whose one-line message lists all problems."""
    with pytest.raises(TypeError) as raised:
        assert_conforms(WrongWriteNames(), SnapshotStorage)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{__name__}.WrongWriteNames does not conform to SnapshotStorage: ")
    assert "'key'" in message and "'data'" in message


def test_conforming_objects_have_no_problems(tmp_path: Path) -> None:
    """The built-in backends and a structural implementation conform; assert_conforms passes."""
    assert check_conformance(GoodStorage(), SnapshotStorage) == []
    assert check_conformance(LocalFileSystemBackend(tmp_path), AdvancedSnapshotStorage) == []
    assert check_conformance(DjangoStorageBackend(InMemoryStorage()), SnapshotStorage) == []
    assert_conforms(LocalFileSystemBackend(tmp_path), AdvancedSnapshotStorage)


def test_classes_are_checked_like_instances() -> None:
    """Passing the class checks its methods without counting self."""
    assert check_conformance(LocalFileSystemBackend, AdvancedSnapshotStorage) == []
    assert check_conformance(WrongWriteNames, SnapshotStorage) != []


def test_missing_members_are_all_reported() -> None:
    """A basic backend checked against the advanced tier lists each missing method."""
    assert check_conformance(GoodStorage(), AdvancedSnapshotStorage) == [
        "atomic_move: missing",
        "recursive_list: missing",
        "stream_read: missing",
        "stream_write: missing",
        "sync: missing",
    ]


class Annotated(GoodStorage):
    """Methods whose annotations disagree with the protocol."""

    def delete(self, path: int) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None

    def exists(self, path: str) -> int:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return 0

    def list(self, prefix: str) -> builtins.list[int]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return []


def test_annotation_mismatches_are_reported() -> None:
    """Plain-class and generic annotation mismatches are reported for parameters and returns."""
    assert check_conformance(Annotated(), SnapshotStorage) == [
        "delete: parameter 'path' is annotated int, but the protocol passes str",
        "exists: returns int, the protocol requires bool",
        "list: returns list[int], the protocol requires list[str]",
    ]


class Wider(GoodStorage):
    """Compatible variations: wider parameter, narrower return, extra optional parameter."""

    def delete(self, path: object, missing_ok: bool = True) -> None:
        return None

    def exists(self, path: str, *args: Any, **kwargs: Any) -> bool:
        return False


def test_compatible_variations_are_accepted() -> None:
    """A wider parameter type, optional extras and *args/**kwargs are fine."""
    assert check_conformance(Wider(), SnapshotStorage) == []


class Arity(GoodStorage):
    """Methods with too few, too many, or positional-only parameters."""

    def write(self, path: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None

    def delete(self, path: str, force: bool) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None

    def exists(self, path: str, /) -> bool:  # pyright: ignore[reportIncompatibleMethodOverride]
        return False


def test_arity_and_kind_differences_are_reported() -> None:
    """Missing parameters, extra required ones and positional-only ones are reported."""
    assert check_conformance(Arity(), SnapshotStorage) == [
        "delete: requires parameter 'force', which the protocol never passes",
        "exists: parameter 'path' is positional-only, the protocol allows passing it by keyword",
        "write: takes 1 positional parameter(s), the protocol passes 'content' as parameter 2",
    ]


class SyncExporter:
    """A synchronous exporter."""

    artifact_type: str = "custom"
    filename: str = "custom.bin"
    metadata: dict[str, Any] = {}

    def generate(self, dest: Path) -> None:
        return None


class AsyncExporter(SyncExporter):
    """An exporter whose generate is a coroutine function."""

    async def generate(self, dest: Path) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None


def test_sync_and_async_mismatches_are_reported() -> None:
    """A plain method where async is required, and the reverse, are reported."""
    assert check_conformance(SyncExporter(), ArtifactExporter) == []
    assert check_conformance(AsyncExporter(), AsyncArtifactExporter) == []
    assert check_conformance(AsyncExporter(), ArtifactExporter) == [
        "generate: must be a plain method, found a coroutine function (async def)"
    ]
    assert check_conformance(SyncExporter(), AsyncArtifactImporter) == ["restore: missing"]
    assert check_conformance(SyncExporter(), AsyncArtifactExporter) == [
        "generate: must be a coroutine function (async def), found a plain one"
    ]


class BadDataMembers(SyncExporter):
    """Data members of the wrong type."""

    artifact_type = 3  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


def test_data_member_types_are_checked() -> None:
    """A data member annotated str that holds an int is reported."""
    assert check_conformance(BadDataMembers(), ArtifactExporter) == [
        "artifact_type: must be str, found int"
    ]


class PathConnector:
    """A connector whose parameter types disagree (str instead of Path)."""

    def dump(self, db_alias: str, dest: str) -> dict[str, Any]:
        return {}

    def restore(self, db_alias: str, src: Path) -> None:
        return None


def test_path_annotations_are_compared() -> None:
    """A connector taking dest: str where the protocol passes a Path is reported."""
    assert check_conformance(PathConnector(), DatabaseConnector) == [
        "dump: parameter 'dest' is annotated str, but the protocol passes Path"
    ]


class UnresolvableAnnotations(GoodStorage):
    """Annotations naming a type that cannot be resolved at runtime."""

    def read(self, path: NoSuchType) -> IO[bytes]:  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable, reportUnknownParameterType]
        return io.BytesIO()


def test_unresolvable_annotations_are_skipped() -> None:
    """Annotations that do not resolve are skipped rather than reported or crashing."""
    assert check_conformance(UnresolvableAnnotations(), SnapshotStorage) == []


class StreamingStorage(GoodStorage):
    """An advanced backend whose stream_read returns a generator type."""

    def stream_read(self, path: str) -> Iterator[bytes]:
        yield b""

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        return None

    def atomic_move(self, src: str, dst: str) -> None:
        return None

    def recursive_list(self, prefix: str) -> builtins.list[str]:
        return []

    def sync(self, src_prefix: str, dst_prefix: str) -> None:
        return None


def test_generic_protocol_types_match() -> None:
    """Iterator[bytes] and list[str] annotations matching the protocol pass."""
    assert check_conformance(StreamingStorage(), AdvancedSnapshotStorage) == []


def test_non_protocol_is_refused() -> None:
    """Checking against a class that is not a Protocol raises TypeError."""
    with pytest.raises(TypeError, match=r"not a typing.Protocol"):
        check_conformance(GoodStorage(), GoodStorage)


class ConcreteTypes(GoodStorage):
    """A backend annotated with concrete runtime classes that type checkers accept."""

    def read(self, path: str) -> io.BufferedReader:
        return open(__file__, "rb")


def test_concrete_io_classes_are_not_false_positives() -> None:
    """Returning io.BufferedReader for IO[bytes] is accepted (typing classes are not compared)."""
    assert check_conformance(ConcreteTypes(), SnapshotStorage) == []


class ObjectMetadataConnector:
    """A connector returning dict[str, object] where the protocol says dict[str, Any]."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, object]:
        return {}

    def restore(self, db_alias: str, src: Path) -> int:
        return 0


def test_any_arguments_match_and_none_returns_are_compared() -> None:
    """dict[str, object] matches dict[str, Any]; returning int where None is due is reported."""
    assert check_conformance(ObjectMetadataConnector(), DatabaseConnector) == [
        "restore: returns int, the protocol requires None"
    ]


class InitExporter:
    """An exporter whose data members are set in __init__ and annotated in the body."""

    artifact_type: str
    filename: str
    metadata: dict[str, Any]

    def __init__(self) -> None:
        self.artifact_type = "custom"
        self.filename = "custom.bin"
        self.metadata = {}

    def generate(self, dest: Path) -> None:
        return None


def test_classes_with_annotated_instance_attributes_conform() -> None:
    """A class whose data members are only annotated in its body counts them as present."""
    assert check_conformance(InitExporter, ArtifactExporter) == []
    assert check_conformance(InitExporter(), ArtifactExporter) == []

"""Static typing cases for the storage protocols and the built-in backends.

Type-checked only (mypy --strict and pyright strict); nothing runs at import time.
Negative cases carry the exact error code each checker must report; an ignore that
becomes unnecessary fails both checkers (mypy ``warn_unused_ignores``, pyright
``reportUnnecessaryTypeIgnoreComment``), so a case that stops erroring is noticed.
"""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator
from typing import IO

from django.core.files.storage import InMemoryStorage
from typing_extensions import assert_type

from django_snapshots.storage import (
    AdvancedSnapshotStorage,
    DjangoStorageBackend,
    LocalFileSystemBackend,
    SnapshotStorage,
    requires_advanced_storage,
)


def local_backend_is_advanced() -> None:
    """LocalFileSystemBackend satisfies both tiers; every method's result is typed."""
    basic: SnapshotStorage = LocalFileSystemBackend("/tmp/snapshots")
    advanced: AdvancedSnapshotStorage = LocalFileSystemBackend("/tmp/snapshots")
    backend = LocalFileSystemBackend("/tmp/snapshots")
    assert_type(backend.read("a"), IO[bytes])
    assert_type(backend.write("a", io.BytesIO(b"")), None)
    assert_type(backend.list(""), builtins.list[str])
    assert_type(backend.delete("a"), None)
    assert_type(backend.exists("a"), bool)
    assert_type(backend.stream_read("a"), Iterator[bytes])
    assert_type(backend.stream_write("a", iter([b""])), None)
    assert_type(backend.atomic_move("a", "b"), None)
    assert_type(backend.recursive_list(""), builtins.list[str])
    assert_type(backend.sync("a/", "b/"), None)
    assert_type(advanced.stream_read("a"), Iterator[bytes])
    assert_type(basic.read("a"), IO[bytes])
    assert_type(requires_advanced_storage(basic, "sync"), None)


def django_backend_is_basic() -> None:
    """DjangoStorageBackend satisfies the basic tier; every method's result is typed."""
    basic: SnapshotStorage = DjangoStorageBackend(InMemoryStorage())
    backend = DjangoStorageBackend(InMemoryStorage())
    assert_type(backend.read("a"), IO[bytes])
    assert_type(backend.write("a", io.BytesIO(b"")), None)
    assert_type(backend.list(""), builtins.list[str])
    assert_type(backend.delete("a"), None)
    assert_type(backend.exists("a"), bool)
    assert_type(basic.exists("a"), bool)


# DjangoStorageBackend lacks the advanced methods: both checkers reject it.
not_advanced: AdvancedSnapshotStorage = DjangoStorageBackend(InMemoryStorage())  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


class WrongParameterType:
    """``read`` takes an int path."""

    def read(self, path: int) -> IO[bytes]:
        return io.BytesIO()

    def write(self, path: str, content: IO[bytes]) -> None: ...
    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def delete(self, path: str) -> None: ...
    def exists(self, path: str) -> bool:
        return False


class WrongReturnType:
    """``exists`` returns a str."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, path: str, content: IO[bytes]) -> None: ...
    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def delete(self, path: str) -> None: ...
    def exists(self, path: str) -> str:
        return ""


class MissingMethod:
    """No ``delete``."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, path: str, content: IO[bytes]) -> None: ...
    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def exists(self, path: str) -> bool:
        return False


class WrongArity:
    """``write`` takes no content."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, path: str) -> None: ...
    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def delete(self, path: str) -> None: ...
    def exists(self, path: str) -> bool:
        return False


class IntMember:
    """``exists`` is an int, not a method."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, path: str, content: IO[bytes]) -> None: ...
    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def delete(self, path: str) -> None: ...

    exists: int = 5


class RenamedParameters:
    """``write`` takes ``(key, data)`` instead of ``(path, content)``."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, key: str, data: IO[bytes]) -> None: ...
    def list(self, prefix: str) -> builtins.list[str]:
        return []

    def delete(self, path: str) -> None: ...
    def exists(self, path: str) -> bool:
        return False


# Both checkers reject a wrong parameter type, return type, arity, or a missing method.
wrong_parameter_type: SnapshotStorage = WrongParameterType()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
wrong_return_type: SnapshotStorage = WrongReturnType()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
missing_method: SnapshotStorage = MissingMethod()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
wrong_arity: SnapshotStorage = WrongArity()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
int_member: SnapshotStorage = IntMember()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

# A renamed parameter breaks callers that pass the protocol's keywords. pyright rejects
# the assignment itself; mypy does not compare parameter names against a protocol
# (mypy issue 18680), so that line carries only the pyright ignore (should mypy start
# flagging it, mypy fails there and the case is updated). Both checkers reject the
# keyword call the protocol allows, and check_conformance reports it at runtime.
renamed_parameters: SnapshotStorage = RenamedParameters()  # pyright: ignore[reportAssignmentType]


def renamed_keyword_call() -> None:
    """Call the renamed write with the protocol's keywords: both checkers reject it."""
    RenamedParameters().write(path="a", content=io.BytesIO())  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]

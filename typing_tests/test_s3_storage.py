"""Static typing cases for S3Backend, the capability protocols and storage aliases.

Type-checked only (mypy --strict and pyright strict); nothing runs at import time.
Negative cases carry the exact error code each checker must report.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import IO

from typing_extensions import assert_type

from django_snapshots import (
    AdvancedSnapshotStorage,
    DjangoStorageBackend,
    ExclusiveCreateStorage,
    LocalFileSystemBackend,
    MultipartUploadStorage,
    S3Backend,
    SnapshotStorage,
    SnapshotStorageError,
)


def s3_backend_is_advanced_with_both_capabilities() -> None:
    """S3Backend satisfies the advanced tier and both capabilities; results are typed."""
    advanced: AdvancedSnapshotStorage = S3Backend("bucket")
    exclusive: ExclusiveCreateStorage = S3Backend("bucket")
    multipart: MultipartUploadStorage = S3Backend(
        "bucket", location="prod", region_name="eu-west-1"
    )
    backend = S3Backend(
        "bucket",
        "backups",
        "http://127.0.0.1:9000",
        None,
        "key",
        "secret",
        addressing_style="path",
        server_side_encryption="aws:kms",
        kms_key_id="alias/backups",
        storage_class="STANDARD_IA",
        part_size=16 * 1024 * 1024,
        max_concurrency=2,
        conditional_writes=False,
    )
    assert_type(backend.read("a"), IO[bytes])
    assert_type(backend.list(""), builtins.list[str])
    assert_type(backend.stream_read("a"), Iterator[bytes])
    assert_type(backend.stream_write("a", iter([b""])), None)
    assert_type(backend.sync("a/", "b/"), None)
    assert_type(backend.can_create_exclusive(), bool)
    assert_type(backend.create_exclusive("a", b"x"), bool)
    assert_type(backend.incomplete_uploads(""), builtins.list[str])
    assert_type(backend.abort_incomplete_uploads(""), int)
    assert_type(backend.bucket_name, str)
    assert_type(backend.location, str)
    assert_type(advanced.exists("a"), bool)
    assert_type(exclusive.create_exclusive("a", b""), bool)
    assert_type(multipart.abort_incomplete_uploads("a/"), int)


def django_backend_takes_an_alias() -> None:
    """DjangoStorageBackend accepts a STORAGES alias as well as a storage object."""
    basic: SnapshotStorage = DjangoStorageBackend("snapshots")
    backend = DjangoStorageBackend(storage="snapshots")
    assert_type(backend.alias, str | None)
    assert_type(basic.list(""), builtins.list[str])


def storage_error_is_a_snapshot_error(error: SnapshotStorageError) -> None:
    """SnapshotStorageError is caught as a SnapshotError."""
    assert_type(str(error), str)


class WrongCreate:
    """``create_exclusive`` takes a stream instead of bytes."""

    def can_create_exclusive(self) -> bool:
        return True

    def create_exclusive(self, path: str, content: IO[bytes]) -> bool:
        return True


class NoAbort:
    """Lists unfinished uploads but cannot abort them."""

    def incomplete_uploads(self, prefix: str) -> builtins.list[str]:
        return []


# The local backend offers neither capability; wrong or missing methods are rejected.
local_not_exclusive: ExclusiveCreateStorage = LocalFileSystemBackend("/tmp/x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
local_not_multipart: MultipartUploadStorage = LocalFileSystemBackend("/tmp/x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
wrong_create: ExclusiveCreateStorage = WrongCreate()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
no_abort: MultipartUploadStorage = NoAbort()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


def bad_constructor_arguments() -> None:
    """Neither a number as storage nor an unknown addressing style is accepted."""
    DjangoStorageBackend(42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    S3Backend("b", addressing_style="sideways")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

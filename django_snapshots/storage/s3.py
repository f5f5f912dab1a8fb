"""A native S3 backend over boto3 (advanced tier), for AWS and S3-compatible services.

Install the ``s3`` extra (``pip install 'django-snapshots[s3]'``); importing this
module does not need boto3, constructing :class:`S3Backend` does. Every stored path
lives below the key prefix ``location``; paths follow the rules of
:mod:`._paths`, so no path can leave the prefix.

**What "atomic" means on an object store.** S3 has no rename and no partial
objects: an upload becomes visible only once it is complete, replacing any object
of that key in one step. So ``write``/``stream_write`` are atomic (readers see the
old object or the whole new one; a failed upload is aborted and changes nothing),
and ``atomic_move`` is a server-side copy followed by a delete of the source: the
destination appears whole or not at all, but for a moment both keys exist, and a
crash between the two steps leaves the source behind as well.

Failures are one-line :class:`~django_snapshots.SnapshotStorageError` messages
naming the bucket and the endpoint. The first operation checks that the bucket
answers, with short timeouts, so a wrong endpoint, bucket or key fails fast.
"""

from __future__ import annotations

import builtins
import io
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Final, Literal, cast

from django.core.exceptions import ImproperlyConfigured

from django_snapshots.exceptions import (
    SnapshotNotFoundError,
    SnapshotPathError,
    SnapshotStorageCapabilityError,
)
from django_snapshots.storage._chunk_stream import ChunkStream
from django_snapshots.storage._paths import (
    CHUNK_SIZE,
    TEMP_PREFIX,
    check_folder,
    check_path,
    check_prefix,
)
from django_snapshots.storage._s3_client import (
    ClientOptions,
    ErrorContext,
    error_code,
    make_client,
    quick_timeout,
    require_boto3,
)
from django_snapshots.storage._s3_objects import (
    NOT_FOUND,
    abort_uploads,
    copy,
    download,
    honours_conditional_writes,
    list_uploads,
    put_if_absent,
)
from django_snapshots.storage._s3_upload import MIN_PART_SIZE, Upload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3Backend"]

_MiB: Final = 1024 * 1024

AddressingStyle = Literal["auto", "virtual", "path"]


def _is_valid(path: str) -> bool:
    """Return True if ``path`` is a storage path this backend would accept."""
    try:
        check_path(path)
    except SnapshotPathError:
        return False
    return True


class S3Backend:
    """Store snapshots in an S3 bucket, below the key prefix ``location``.

    The options carry django-storages' names, so its settings can be copied.
    """

    def __init__(
        self,
        bucket_name: str,
        location: str = "",
        endpoint_url: str | None = None,
        region_name: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        *,
        security_token: str | None = None,
        session_profile: str | None = None,
        addressing_style: AddressingStyle | None = None,
        verify: bool | str | None = None,
        server_side_encryption: str | None = None,
        kms_key_id: str | None = None,
        storage_class: str | None = None,
        part_size: int = 5 * _MiB,
        max_concurrency: int = 4,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
        conditional_writes: bool | None = None,
    ) -> None:
        """Configure the backend; nothing contacts the server until the first operation.

        ``access_key``/``secret_key`` default to boto3's credential chain. Uploads
        use ``part_size`` parts (at least 5 MiB), ``max_concurrency`` at a time.
        ``conditional_writes`` None asks the server once whether it honours
        ``If-None-Match``; False always uses the list-based lock.
        """
        require_boto3()
        if not bucket_name:
            raise ImproperlyConfigured("S3Backend: bucket_name must not be empty")
        if part_size < MIN_PART_SIZE:
            raise ImproperlyConfigured(f"S3Backend: part_size must be at least {MIN_PART_SIZE}")
        if max_concurrency < 1 or max_attempts < 1:
            raise ImproperlyConfigured("S3Backend: max_concurrency and max_attempts must be >= 1")
        if addressing_style not in (None, "auto", "virtual", "path"):
            raise ImproperlyConfigured(
                f"S3Backend: addressing_style {addressing_style!r} is not 'auto', "
                "'virtual' or 'path'"
            )
        try:
            folder = check_folder(location.strip("/"))
        except SnapshotPathError as error:
            raise ImproperlyConfigured(f"S3Backend: location {location!r}: {error}") from None
        self.bucket_name: str = bucket_name
        self.location: str = folder
        """The key prefix (without trailing ``/``) below which every path is stored."""
        self.endpoint_url: str | None = endpoint_url
        self.region_name: str | None = region_name
        self.part_size: int = part_size
        self.max_concurrency: int = max_concurrency
        self.conditional_writes: bool | None = conditional_writes
        self._prefix: str = f"{folder}/" if folder else ""
        self._options: ClientOptions = ClientOptions(
            endpoint_url=endpoint_url,
            region_name=region_name,
            access_key=access_key,
            secret_key=secret_key,
            security_token=security_token,
            session_profile=session_profile,
            addressing_style=addressing_style,
            verify=verify,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            max_pool_connections=max(10, max_concurrency + 2),
        )
        chosen = {
            "ServerSideEncryption": server_side_encryption,
            "SSEKMSKeyId": kms_key_id,
            "StorageClass": storage_class,
        }
        self._extra: dict[str, Any] = {name: value for name, value in chosen.items() if value}
        self._errors: ErrorContext = ErrorContext(
            bucket_name, endpoint_url or f"AWS S3 ({region_name or 'default region'})", read_timeout
        )
        self._guard: threading.Lock = threading.Lock()
        self._ready: S3Client | None = None
        self._exclusive: bool | None = None

    def __repr__(self) -> str:
        """Return ``S3Backend(bucket_name=..., location=..., endpoint_url=...)``."""
        return (
            f"{type(self).__name__}(bucket_name={self.bucket_name!r}, "
            f"location={self.location!r}, endpoint_url={self.endpoint_url!r})"
        )

    # -- plumbing -----------------------------------------------------------------

    @property
    def client(self) -> S3Client:
        """Return the boto3 client, building it and checking the bucket on first use."""
        ready = self._ready
        if ready is not None:
            return ready
        with self._guard:
            if self._ready is None:
                with self._errors.translating("connecting"):
                    client = make_client(self._options)
                self._errors.endpoint = self.endpoint_url or client.meta.endpoint_url
                self._errors.read_timeout = quick_timeout(self._options)
                try:
                    with self._errors.translating("connecting"):
                        probe = make_client(self._options, quick=True)
                        probe.list_objects_v2(
                            Bucket=self.bucket_name, Prefix=self._prefix, MaxKeys=1
                        )
                finally:
                    self._errors.read_timeout = self._options.read_timeout
                self._ready = client
            return self._ready

    def _key(self, path: str) -> str:
        """Return the object key of a storage path, refusing unsafe paths."""
        return self._prefix + check_path(path)

    def _head(self, path: str, action: str) -> dict[str, Any] | None:
        """Return the object's metadata, or None if no object has that key."""
        from botocore.exceptions import ClientError

        key = self._key(path)
        client = self.client
        with self._errors.translating(f"{action} {path!r}"):
            try:
                return dict(client.head_object(Bucket=self.bucket_name, Key=key))
            except ClientError as error:
                if error_code(error) in NOT_FOUND:
                    return None
                raise

    def _copy(self, src: str, dst: str, size: int) -> None:
        """Copy object ``src`` to ``dst`` on the server (multipart above 5 GiB)."""
        source, key, client = self._key(src), self._key(dst), self.client
        with self._errors.translating(f"copying {src!r} to {dst!r}"):
            copy(client, self.bucket_name, source, key, size, self._extra, self.max_concurrency)

    def _objects(self, prefix: str) -> Iterator[tuple[str, int]]:
        """Yield ``(storage path, size)`` of every object starting with the full key ``prefix``."""
        client = self.client
        with self._errors.translating(f"listing {prefix[len(self._prefix) :]!r}"):
            pages = client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket_name, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item.get("Key", "")[len(self._prefix) :], int(item.get("Size", 0))

    # -- basic tier ---------------------------------------------------------------

    def read(self, path: str) -> IO[bytes]:
        """Open ``path`` for binary reading; the caller closes the stream."""
        return cast("IO[bytes]", io.BufferedReader(ChunkStream(self.stream_read(path)), CHUNK_SIZE))

    def write(self, path: str, content: IO[bytes]) -> None:
        """Store everything readable from ``content`` at ``path`` atomically, in chunks."""
        self.stream_write(path, iter(partial(content.read, CHUNK_SIZE), b""))

    def list(self, prefix: str) -> builtins.list[str]:
        """Return every stored file path that starts with ``prefix``, sorted (paginated)."""
        full = self._prefix + check_prefix(prefix)
        return sorted(path for path, _ in self._objects(full) if _is_valid(path))

    def delete(self, path: str) -> None:
        """Delete the object at ``path``; a missing object is not an error."""
        key = self._key(path)
        client = self.client
        with self._errors.translating(f"deleting {path!r}"):
            client.delete_object(Bucket=self.bucket_name, Key=key)

    def exists(self, path: str) -> bool:
        """Return True if an object is stored at ``path``."""
        return self._head(path, "checking") is not None

    # -- advanced tier ------------------------------------------------------------

    def stream_read(self, path: str) -> Iterator[bytes]:
        """Yield the object at ``path`` in chunks of at most 1 MiB; a missing one raises now.

        A connection that breaks mid-object is resumed from where it stopped.
        """
        from botocore.exceptions import ClientError

        key = self._key(path)
        client = self.client
        with self._errors.translating(f"reading {path!r}"):
            try:
                chunks = download(client, self.bucket_name, key, self._options.max_attempts)
            except ClientError as error:
                if error_code(error) in NOT_FOUND:
                    raise SnapshotNotFoundError(
                        f"no file at storage path {path!r} in {self._errors.where()}"
                    ) from None
                raise
        return self._translated(chunks, path)

    def _translated(self, chunks: Iterator[bytes], path: str) -> Iterator[bytes]:
        """Yield ``chunks``, turning botocore errors into one-line errors."""
        with self._errors.translating(f"reading {path!r}"):
            yield from chunks

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        """Store the concatenated ``chunks`` at ``path`` atomically (multipart when large)."""
        key = self._key(path)
        upload = Upload(
            self.client, self.bucket_name, key, self.part_size, self.max_concurrency, self._extra
        )
        with self._errors.translating(f"writing {path!r}"):
            upload.run(chunks)

    def atomic_move(self, src: str, dst: str) -> None:
        """Copy ``src`` to ``dst`` on the server, then delete ``src`` (see the module)."""
        self._key(dst)
        head = self._head(src, "moving")
        if head is None:
            raise SnapshotNotFoundError(f"no file at storage path {src!r} to move")
        if src == dst:
            return
        self._copy(src, dst, int(head.get("ContentLength", 0)))
        self.delete(src)

    def recursive_list(self, prefix: str) -> builtins.list[str]:
        """Return every file below the folder ``prefix`` (``"a"`` or ``"a/"``; ``""``: all)."""
        folder = check_folder(prefix)
        return self.list(f"{folder}/" if folder else "")

    def sync(self, src_prefix: str, dst_prefix: str) -> None:
        """Copy every file below folder ``src_prefix`` to the same place below ``dst_prefix``.

        Copies are server-side, ``max_concurrency`` at a time; files already below
        ``dst_prefix`` but not in the source are left alone.
        """
        source = check_folder(src_prefix)
        destination = check_folder(dst_prefix)
        pairs: builtins.list[tuple[str, str, int]] = []
        for path, size in self._objects(self._prefix + (f"{source}/" if source else "")):
            relative = path[len(source) + 1 :] if source else path
            copy = f"{destination}/{relative}" if destination else relative
            if _is_valid(path) and copy != path:
                pairs.append((path, check_path(copy), size))
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="s3-sync") as pool:
            for done in [pool.submit(self._copy, *pair) for pair in sorted(pairs)]:
                done.result()

    # -- capabilities: exclusive create --------------------------------------------

    def can_create_exclusive(self) -> bool:
        """Return True if the server honours ``If-None-Match: *`` (asked once)."""
        if self._exclusive is None:
            decided = self.conditional_writes
            if decided is None:
                probe = f"{self._prefix}{TEMP_PREFIX}probe-{uuid.uuid4().hex}"
                client = self.client
                with self._errors.translating("checking support for conditional writes"):
                    decided = honours_conditional_writes(
                        client, self.bucket_name, probe, self._extra
                    )
            self._exclusive = decided
        return self._exclusive

    def create_exclusive(self, path: str, content: bytes) -> bool:
        """Store ``content`` at ``path`` unless an object is there; False if one is."""
        key = self._key(path)
        if not self.can_create_exclusive():
            raise SnapshotStorageCapabilityError(
                f"{self._errors.where()} does not honour conditional writes (If-None-Match)"
            )
        with self._errors.translating(f"creating {path!r}"):
            return put_if_absent(self.client, self.bucket_name, key, content, self._extra) is True

    # -- capabilities: unfinished multipart uploads ---------------------------------

    def _uploads(self, prefix: str) -> builtins.list[tuple[str, str]]:
        """Return ``(key, upload id)`` of every unfinished upload below ``prefix``."""
        full = self._prefix + check_prefix(prefix)
        client = self.client
        with self._errors.translating(f"listing unfinished uploads of {prefix!r}"):
            return list_uploads(client, self.bucket_name, full)

    def incomplete_uploads(self, prefix: str) -> builtins.list[str]:
        """Return the paths, sorted, that have an unfinished multipart upload."""
        return sorted({key[len(self._prefix) :] for key, _ in self._uploads(prefix)})

    def abort_incomplete_uploads(self, path: str) -> int:
        """Abort the unfinished uploads of file ``path`` and below folder ``path``; count them."""
        folder = check_folder(path)
        exact = self._prefix + folder
        below = f"{exact}/" if folder else self._prefix
        chosen = [
            (key, upload_id)
            for key, upload_id in self._uploads(folder)
            if key == exact or key.startswith(below)
        ]
        client = self.client
        with self._errors.translating(f"aborting unfinished uploads of {path!r}"):
            return abort_uploads(client, self.bucket_name, chosen)

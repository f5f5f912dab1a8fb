"""The fast path for media kept in django-storages' ``S3Storage``: fewer requests per file.

Through the ``Storage`` API every file costs several requests: ``size()`` and
``get_modified_time()`` are a HEAD each, ``open()`` makes a HEAD and a managed download
(another HEAD), ``save()`` a managed upload. For an unmodified ``S3Storage``
:func:`s3_access` returns an :class:`S3MediaAccess` that asks the same bucket directly:

* :meth:`~S3MediaAccess.listdir` makes the very request ``S3Storage.listdir`` makes (a
  paginated ``list_objects`` with ``Delimiter="/"``), maps keys to names the same way,
  and keeps each object's size and modification time, truncated to whole seconds and
  made naive when ``USE_TZ`` is off, exactly as ``get_modified_time()`` returns them
  (so an unchanged file is recognised whichever path made the parent snapshot);
* :meth:`~S3MediaAccess.open` streams the body of one ``get_object`` (with the download
  parameters ``S3Storage`` would send);
* :meth:`~S3MediaAccess.put` stores a small file with one ``put_object`` carrying the
  parameters ``S3Storage._save`` computes (``get_object_parameters``, the guessed
  ``ContentType``/``ContentEncoding``, ``default_acl``).

Keys are the storage's own (``_normalize_name``, under ``location``). Anything that
could make the result differ from the storage's own calls takes the ``Storage`` API
instead: a subclass overriding any method involved, ``gzip`` on (reads and writes),
``file_overwrite`` off, a file at or above the multipart threshold, or object
parameters this module does not know to be valid for ``put_object`` (writes).
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Final, cast

from django.conf import settings
from django.core.files.storage import Storage
from django.utils.timezone import make_naive

from django_snapshots.storage._s3_client import no_continue_for_empty_bodies

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["PUT_LIMIT", "S3MediaAccess", "s3_access"]

PUT_LIMIT: Final = 8 * 1024 * 1024
"""Files below this size (and the storage's multipart threshold) take one ``put_object``."""

_METHODS: Final = (
    "_open",
    "_save",
    "_normalize_name",
    "_get_write_parameters",
    "listdir",
    "size",
    "get_modified_time",
    "exists",
    "delete",
    "save",
    "get_available_name",
    "open",
)
"""Methods whose behaviour the fast path reproduces: none may be overridden."""

_DOWNLOAD_PARAMETERS: Final = frozenset(
    {"SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "RequestPayer"}
    | {"ExpectedBucketOwner", "VersionId", "ChecksumMode"}
)
"""Object parameters ``S3Storage`` passes on reads (the managed download's arguments)."""

_PUT_PARAMETERS: Final = frozenset(
    {"ACL", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage"}
    | {"ContentType", "Expires", "Metadata", "ServerSideEncryption", "SSEKMSKeyId"}
    | {"SSEKMSEncryptionContext", "StorageClass", "Tagging", "WebsiteRedirectLocation"}
    | {"GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP", "RequestPayer"}
    | {"SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "ExpectedBucketOwner"}
    | {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"}
)
"""Write parameters known to mean the same to ``put_object`` as to a managed upload."""


def _s3_storage_class(kind: type[Any]) -> type[Any] | None:
    """Return django-storages' ``S3Storage`` among ``kind``'s bases, or None."""
    for base in kind.__mro__:
        if base.__module__ == "storages.backends.s3" and base.__qualname__ == "S3Storage":
            return base
    return None


def _unmodified(kind: type[Any], base: type[Any]) -> bool:
    """Return True if no class below ``base`` in ``kind``'s MRO redefines a method used."""
    inherited = set(base.__mro__)
    for name in _METHODS:
        owner = next((k for k in kind.__mro__ if name in vars(k)), None)
        if owner is None or owner not in inherited:
            return False
    return True


def s3_access(storage: Storage) -> S3MediaAccess | None:
    """Return the fast path into ``storage`` if it is an unmodified ``S3Storage``, else None."""
    base = _s3_storage_class(type(storage))
    if base is None or not _unmodified(type(storage), base):
        return None
    needed = ("bucket_name", "location", "connection", "get_object_parameters")
    if not all(hasattr(type(storage), name) or name in vars(storage) for name in needed):
        return None
    return S3MediaAccess(storage)


class S3MediaAccess:
    """Requests to the bucket of an ``S3Storage``, equivalent to the storage's own calls.

    The boto3 client is made on first use, from the calling thread's connection, and
    shared by the worker threads (boto3 clients are thread-safe).
    """

    def __init__(self, storage: Storage) -> None:
        """Use ``storage`` (checked by :func:`s3_access`)."""
        self.storage: Storage = storage
        options: Any = storage
        self.bucket_name: str = str(options.bucket_name)
        self.fast_reads: bool = not bool(getattr(options, "gzip", False))
        """False when ``gzip`` is on: ``S3Storage`` then decompresses what it reads."""
        self.fast_writes: bool = self.fast_reads and bool(getattr(options, "file_overwrite", False))
        """False when ``gzip`` is on or ``file_overwrite`` off: ``save`` is used then."""
        threshold = getattr(getattr(options, "transfer_config", None), "multipart_threshold", None)
        self.put_limit: int = min(PUT_LIMIT, threshold) if isinstance(threshold, int) else PUT_LIMIT
        self._normalize: Callable[[str], str] = options._normalize_name
        self._write_parameters: Callable[[str, object], dict[str, Any]] = (
            options._get_write_parameters
        )
        self._object_parameters: Callable[[str], dict[str, Any]] = options.get_object_parameters
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> S3Client:
        """Return the boto3 client of the storage's connection (made once)."""
        with self._lock:
            if self._client is None:
                connection: Any = cast("Any", self.storage).connection
                self._client = cast("S3Client", connection.meta.client)
                no_continue_for_empty_bodies(self._client)
            return self._client

    def key(self, name: str) -> str:
        """Return the object key of the storage name ``name`` (as ``S3Storage`` makes it)."""
        return self._normalize(name)

    def listdir(self, folder: str) -> tuple[list[str], list[str], dict[str, tuple[int, datetime]]]:
        """Return ``S3Storage.listdir(folder)`` plus each file's size and modification time."""
        path = self.key(folder)
        if path and not path.endswith("/"):
            path += "/"
        folders: list[str] = []
        files: list[str] = []
        stats: dict[str, tuple[int, datetime]] = {}
        paginator = self.client.get_paginator("list_objects")
        for page in paginator.paginate(Bucket=self.bucket_name, Delimiter="/", Prefix=path):
            for common in page.get("CommonPrefixes", ()):
                folders.append(posixpath.relpath(common.get("Prefix", ""), path))
            for item in page.get("Contents", ()):
                key = item.get("Key", "")
                if key != path:
                    name = posixpath.relpath(key, path)
                    files.append(name)
                    size, moment = item.get("Size"), item.get("LastModified")
                    if size is not None and moment is not None:  # else: asked per file
                        stats[name] = (size, _as_modified_time(moment))
        return folders, files, stats

    def open(self, name: str) -> IO[bytes]:
        """Return a stream of the object's body; FileNotFoundError if there is none."""
        from botocore.exceptions import ClientError

        params = {
            key: value
            for key, value in self._object_parameters(name).items()
            if key in _DOWNLOAD_PARAMETERS
        }
        try:
            response = self.client.get_object(Bucket=self.bucket_name, Key=self.key(name), **params)
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(f"File does not exist: {self.key(name)}") from None
            raise
        return cast("IO[bytes]", response["Body"])

    def put(self, name: str, data: bytes) -> bool:
        """Store ``data`` as ``name`` with one ``put_object``; False if ``save`` must do it."""
        if not self.fast_writes or len(data) >= self.put_limit:
            return False
        key = self.key(name)
        params = self._write_parameters(key, None)
        if not set(params) <= _PUT_PARAMETERS:
            return False
        self.client.put_object(Bucket=self.bucket_name, Key=key, Body=data, **params)
        return True


def _as_modified_time(listed: datetime) -> datetime:
    """Return a listed ``LastModified`` as ``S3Storage.get_modified_time`` gives it.

    A HEAD's ``Last-Modified`` header has whole seconds; some servers list milliseconds.
    """
    moment = listed.replace(microsecond=0)
    return moment if settings.USE_TZ else make_naive(moment)

"""Object-level S3 requests of :class:`~django_snapshots.storage.S3Backend` (private).

Owns the requests whose answers need interpreting: a conditional PUT (stored,
exists, or not supported), the one-off probe for conditional writes, server-side
copies (in parts above 5 GiB), listing and aborting unfinished multipart uploads,
and a download that resumes where it broke.
Callers translate botocore errors (see :mod:`._s3_client`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from django_snapshots.storage._paths import CHUNK_SIZE
from django_snapshots.storage._s3_client import error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

__all__ = [
    "NOT_FOUND",
    "abort_uploads",
    "copy",
    "download",
    "honours_conditional_writes",
    "list_uploads",
    "put_if_absent",
]

NOT_FOUND: Final = frozenset({"404", "NoSuchKey", "NotFound"})
"""Error codes meaning "no object of that key"."""

_COPY_LIMIT: Final = 5 * 1024 * 1024 * 1024
_COPY_PART: Final = 64 * 1024 * 1024
_CONDITION_FAILED: Final = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412"})
_UNSUPPORTED: Final = frozenset({"NotImplemented", "501", "InvalidArgument", "InvalidRequest"})


def put_if_absent(
    client: S3Client, bucket: str, key: str, body: bytes, extra: Mapping[str, Any]
) -> bool | None:
    """PUT ``key`` with ``If-None-Match: *``: True stored, False exists, None unsupported."""
    from botocore.exceptions import ClientError

    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*", **extra)
    except ClientError as error:
        code = error_code(error)
        if code in _CONDITION_FAILED:
            return False
        if code in _UNSUPPORTED:
            return None
        raise
    return True


def honours_conditional_writes(
    client: S3Client, bucket: str, probe_key: str, extra: Mapping[str, Any]
) -> bool:
    """Write ``probe_key`` twice with ``If-None-Match: *``: True if the second is refused.

    A server that ignores the header stores both; one that does not know it refuses
    the first. The probe object is deleted in every case.
    """
    try:
        if put_if_absent(client, bucket, probe_key, b"probe", extra) is not True:
            return False
        return put_if_absent(client, bucket, probe_key, b"probe", extra) is False
    finally:
        client.delete_object(Bucket=bucket, Key=probe_key)


def copy(
    client: S3Client,
    bucket: str,
    source_key: str,
    key: str,
    size: int,
    extra: Mapping[str, Any],
    concurrency: int,
) -> None:
    """Copy ``source_key`` to ``key`` on the server; objects over 5 GiB in 64 MiB parts."""
    source: CopySourceTypeDef = {"Bucket": bucket, "Key": source_key}
    if size <= _COPY_LIMIT:
        client.copy_object(Bucket=bucket, Key=key, CopySource=source, **extra)
        return
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_chunksize=_COPY_PART, max_concurrency=concurrency)
    client.copy(source, bucket, key, ExtraArgs=dict(extra), Config=config)


def list_uploads(client: S3Client, bucket: str, prefix: str) -> list[tuple[str, str]]:
    """Return ``(key, upload id)`` of every unfinished multipart upload below key ``prefix``."""
    found: list[tuple[str, str]] = []
    pages = client.get_paginator("list_multipart_uploads")
    for page in pages.paginate(Bucket=bucket, Prefix=prefix):
        for upload in page.get("Uploads", []):
            key = upload.get("Key", "")
            if key.startswith(prefix):
                found.append((key, upload.get("UploadId", "")))
    return found


def abort_uploads(client: S3Client, bucket: str, uploads: list[tuple[str, str]]) -> int:
    """Abort the given ``(key, upload id)`` uploads; return how many were still there."""
    from botocore.exceptions import ClientError

    aborted = 0
    for key, upload_id in uploads:
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error_code(error) != "NoSuchUpload":
                raise
            continue
        aborted += 1
    return aborted


def download(client: S3Client, bucket: str, key: str, attempts: int) -> Iterator[bytes]:
    """Return the object's bytes as chunks, resuming after a broken connection.

    The first request is made now, so a missing object raises at once (a
    ``ClientError``). If the body breaks off, the rest is asked for again with a
    ``Range`` from where it stopped and ``If-Match`` on the first answer's ETag (so a
    replaced object is never spliced), up to ``attempts`` times in all.
    """
    response = client.get_object(Bucket=bucket, Key=key)
    return _resuming(client, bucket, key, response, attempts)


def _resuming(
    client: S3Client, bucket: str, key: str, response: Any, attempts: int
) -> Iterator[bytes]:
    """Yield the body of ``response``, re-requesting the rest when the stream breaks."""
    from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

    broken = (IncompleteReadError, ReadTimeoutError, ResponseStreamingError)
    etag = str(response.get("ETag", ""))
    body = response["Body"]
    offset = 0
    failures = 0
    try:
        while True:
            try:
                for chunk in body.iter_chunks(CHUNK_SIZE):
                    offset += len(chunk)
                    yield chunk
                return
            except broken:
                failures += 1
                if failures >= attempts:
                    raise
            body.close()
            arguments: dict[str, Any] = {"Range": f"bytes={offset}-"}
            if etag:
                arguments["IfMatch"] = etag
            body = client.get_object(Bucket=bucket, Key=key, **arguments)["Body"]
    finally:
        body.close()

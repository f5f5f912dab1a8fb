"""Bounded-memory uploads for :class:`~django_snapshots.storage.S3Backend` (private).

Content arrives as an iterator of chunks of unknown total size. Chunks are gathered
into parts of at least ``part_size`` bytes; content smaller than one part is sent
with a single ``PutObject``, anything larger as a multipart upload with at most
``concurrency`` parts in flight. The reader blocks while every slot is busy, so the
memory held is about ``(concurrency + 1) * part_size`` whatever the total size.

Any failure (the source, a part, the completion, even ``KeyboardInterrupt``) aborts
the multipart upload, so nothing half-written is ever visible and no parts are left
behind; an object at the same key is replaced only by a completed upload.

S3 allows at most 10,000 parts: the part size doubles every 2,000 parts, so an
upload with the default 5 MiB parts can grow to about 300 GB.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

__all__ = ["MIN_PART_SIZE", "Upload", "gather_parts"]

MIN_PART_SIZE: Final = 5 * 1024 * 1024
"""The smallest part S3 accepts (except the last one)."""

_DOUBLE_EVERY: Final = 2000
_CHECKSUM_FIELDS: Final = (
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
)


def gather_parts(chunks: Iterable[bytes], part_size: int) -> Iterator[bytearray]:
    """Yield the concatenated ``chunks`` as parts of at least ``part_size`` bytes.

    Only the last part may be smaller; after every 2,000 parts the size doubles.
    Each part is a fresh buffer the caller may keep; nothing is yielded for empty
    content.
    """
    part = bytearray()
    count = 0
    for chunk in chunks:
        part += chunk
        if len(part) >= part_size << (count // _DOUBLE_EVERY):
            count += 1
            yield part
            part = bytearray()
    if part:
        yield part


def _prepend(first: list[bytearray], rest: Iterator[bytearray]) -> Iterator[bytearray]:
    """Yield the one part in ``first`` (popped, so no reference stays behind), then ``rest``."""
    yield first.pop()
    yield from rest


@dataclass
class Upload:
    """One object upload: where to, how, and what to add to every request."""

    client: S3Client
    bucket: str
    key: str
    part_size: int
    concurrency: int
    extra: Mapping[str, Any]
    """Arguments for ``PutObject`` and ``CreateMultipartUpload`` (encryption, class)."""

    def _checksum_extra(self) -> dict[str, Any]:
        """Return ``ChecksumAlgorithm`` when the client adds checksums by default."""
        setting = getattr(self.client.meta.config, "request_checksum_calculation", None)
        if setting == "when_supported" and "ChecksumAlgorithm" not in self.extra:
            return {"ChecksumAlgorithm": "CRC32"}
        return {}

    def run(self, chunks: Iterable[bytes]) -> None:
        """Upload the concatenated ``chunks``; on any failure nothing is stored."""
        parts = gather_parts(chunks, self.part_size)
        first = next(parts, bytearray())
        if len(first) < self.part_size:
            # The whole content fits in one part: a single request.
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=cast("bytes", first), **self.extra
            )
            return
        extra = {**self.extra, **self._checksum_extra()}
        created = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key, **extra)
        upload_id = created["UploadId"]
        held = [first]
        del first  # the part list is its only holder now
        try:
            completed = self._send_parts(upload_id, _prepend(held, parts), extra)
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                MultipartUpload={"Parts": completed},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=upload_id
                )
            raise

    def _send_parts(
        self, upload_id: str, parts: Iterator[bytearray], extra: Mapping[str, Any]
    ) -> list[CompletedPartTypeDef]:
        """Upload every part with bounded concurrency; return them in order."""
        algorithm = extra.get("ChecksumAlgorithm")
        slots = threading.BoundedSemaphore(self.concurrency)
        failed = threading.Event()
        futures: list[Future[CompletedPartTypeDef]] = []

        def send(number: int, body: bytearray) -> CompletedPartTypeDef:
            arguments: dict[str, Any] = {}
            if algorithm is not None:
                arguments["ChecksumAlgorithm"] = algorithm
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                PartNumber=number,
                Body=cast("bytes", body),
                **arguments,
            )
            answer: dict[str, Any] = dict(response)
            part: dict[str, Any] = {"ETag": answer["ETag"], "PartNumber": number}
            part.update((field, answer[field]) for field in _CHECKSUM_FIELDS if field in answer)
            return cast("CompletedPartTypeDef", part)

        def finished(future: Future[CompletedPartTypeDef]) -> None:
            if not future.cancelled() and future.exception() is not None:
                failed.set()
            slots.release()

        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="s3-part") as pool:
            body = next(parts, None)
            number = 1
            while body is not None:
                slots.acquire()
                if failed.is_set():
                    slots.release()
                    break
                future = pool.submit(send, number, body)
                future.add_done_callback(finished)
                futures.append(future)
                body = None  # drop the reference: the worker holds the part now
                body = next(parts, None)
                number += 1
        return [future.result() for future in futures]

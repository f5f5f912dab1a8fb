"""The shipped storage test kit, run on a real S3 server (SeaweedFS on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from pytest_django.fixtures import Settings

from django_snapshots.storage import DjangoStorageBackend
from django_snapshots.storage.s3 import S3Backend
from django_snapshots.testing import AdvancedSnapshotStorageContract, SnapshotStorageContract
from tests.s3server import S3Server

_MiB = 1024 * 1024


class TestS3BackendContract(AdvancedSnapshotStorageContract):
    """S3Backend honours the whole advanced-tier contract on a real S3 server."""

    @pytest.fixture(autouse=True)
    def _server(self, s3_server: S3Server) -> None:
        """Keep the session's S3 server for make_storage."""
        self.server = s3_server

    def make_storage(self, tmp_path: Path) -> S3Backend:
        """Return a backend below a fresh key prefix, with small parts to test multipart.

        Its client is built now: boto3 loading its S3 model is a one-off cost the
        bounded-memory test must not count against the write.
        """
        backend = self.server.make_backend("contract", part_size=5 * _MiB, max_concurrency=2)
        assert backend.list("") == []
        return backend


class TestDjangoS3StorageContract(SnapshotStorageContract):
    """DjangoStorageBackend over a STORAGES alias of django-storages' S3Storage: basic tier."""

    @pytest.fixture(autouse=True)
    def _server(self, s3_server: S3Server, settings: Settings) -> None:
        """Point ``STORAGES["snapshots"]`` at an S3Storage below a fresh key prefix.

        Reads spool to disk past 8 MiB (django-storages keeps a whole object in memory
        by default) and uploads hold two 5 MiB parts at a time (s3transfer buffers ten).
        """
        transfer: Any = TransferConfig(multipart_chunksize=5 * _MiB, max_concurrency=2)
        transfer.max_in_memory_upload_chunks = 2  # s3transfer's own knob, not boto3's
        options = s3_server.storages_options(
            "django", transfer_config=transfer, max_memory_size=8 * _MiB
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "snapshots": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        }

    def make_storage(self, tmp_path: Path) -> DjangoStorageBackend:
        """Return ``DjangoStorageBackend(storage="snapshots")``."""
        backend = DjangoStorageBackend(storage="snapshots")
        assert backend.list("") == []  # builds the boto3 client outside the memory test
        return backend

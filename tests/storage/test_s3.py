"""S3Backend on a real S3 server: pagination, failures named in one line, debris, options."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

import django_snapshots
from django_snapshots.exceptions import (
    SnapshotError,
    SnapshotNotFoundError,
    SnapshotPathError,
    SnapshotStorageError,
)
from django_snapshots.storage import S3Backend
from django_snapshots.storage.protocols import (
    AdvancedSnapshotStorage,
    ExclusiveCreateStorage,
    MultipartUploadStorage,
)
from tests.s3server import S3Server, free_ports
from tests.storage.flaky_proxy import flaky_proxy

_MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def _failure(call: Any) -> SnapshotStorageError:
    """Run ``call()`` and return the SnapshotStorageError it raises."""
    with pytest.raises(SnapshotStorageError) as caught:
        call()
    return caught.value


def test_is_advanced_and_offers_both_capabilities(s3_server: S3Server) -> None:
    """S3Backend is advanced and offers both capabilities (exclusive create, multipart)."""
    backend = s3_server.make_backend("tiers")
    assert isinstance(backend, AdvancedSnapshotStorage)
    assert isinstance(backend, ExclusiveCreateStorage)
    assert isinstance(backend, MultipartUploadStorage)
    assert django_snapshots.S3Backend is S3Backend


def test_listing_paginates_past_one_thousand_keys(s3_server: S3Server) -> None:
    """list and recursive_list return all 1,205 keys, sorted, across several pages."""
    backend = s3_server.make_backend("many")
    client = s3_server.client()
    paths = [f"snap/{index:05d}" for index in range(1205)] + ["other/x"]

    def put(path: str) -> None:
        client.put_object(Bucket=s3_server.bucket_name, Key=f"{backend.location}/{path}", Body=b"")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, paths))
    assert backend.list("snap/") == sorted(paths[:-1])
    assert backend.recursive_list("snap") == sorted(paths[:-1])
    assert len(backend.list("")) == 1206


def test_list_skips_keys_that_are_not_storage_paths(s3_server: S3Server) -> None:
    """Folder markers and reserved temporary names under the prefix are not listed."""
    backend = s3_server.make_backend("odd")
    client = s3_server.client()
    for key in ("folder/", ".snapshots-tmp-x", "deep/.snapshots-tmp-y", "ok/file"):
        client.put_object(Bucket=s3_server.bucket_name, Key=f"{backend.location}/{key}", Body=b"")
    assert backend.list("") == ["ok/file"]


def test_paths_never_leave_the_location(s3_server: S3Server) -> None:
    """Neighbouring prefixes are invisible and escaping paths raise SnapshotPathError."""
    inner = s3_server.make_backend("inner")
    options: dict[str, Any] = {**s3_server.settings_options("x"), "location": inner.location + "x"}
    neighbour = S3Backend(**options)
    neighbour.stream_write("secret", iter([b"s"]))
    inner.stream_write("mine", iter([b"m"]))
    assert inner.list("") == ["mine"]
    for bad in ("../x", "/abs", "a/../../b", ""):
        with pytest.raises(SnapshotPathError):
            inner.exists(bad)
    with pytest.raises(SnapshotPathError):
        inner.sync("", "../up")
    with pytest.raises(ImproperlyConfigured, match="location"):
        S3Backend("bucket", location="a/../b")


def test_multipart_upload_round_trips_and_leaves_no_upload(s3_server: S3Server) -> None:
    """A 17 MiB stream goes up as several parts and reads back identical, with nothing pending."""
    backend = s3_server.make_backend("multipart", part_size=5 * _MiB, max_concurrency=3)
    blocks = [bytes([index]) * _MiB for index in range(17)]
    backend.stream_write("big.bin", iter(blocks))
    assert b"".join(backend.stream_read("big.bin")) == b"".join(blocks)
    head = s3_server.client().head_object(
        Bucket=s3_server.bucket_name, Key=f"{backend.location}/big.bin"
    )
    assert "-" in head["ETag"]  # a multipart ETag: "<md5>-<parts>"
    assert backend.incomplete_uploads("") == []


def test_the_client_asks_no_continue_for_an_empty_body(s3_server: S3Server) -> None:
    """An empty PUT on the backend's client carries no 100-continue; a non-empty one does.

    With the header, SeaweedFS holds the connection's next request for 60 s; a 5 s
    read timeout and one attempt turn that hold into a failure of the second PUT.
    """
    backend = s3_server.make_backend("empty", read_timeout=5, max_attempts=1)
    client, bucket = backend.client, s3_server.bucket_name
    sent: list[tuple[str, object]] = []

    def record(request: Any, **_: Any) -> None:
        sent.append((request.url.rsplit("/", 1)[-1], request.headers.get("Expect")))

    client.meta.events.register_last("before-send.s3.PutObject", record)
    client.put_object(Bucket=bucket, Key=f"{backend.location}/empty.bin", Body=b"")
    client.put_object(Bucket=bucket, Key=f"{backend.location}/full.bin", Body=b"content")
    assert sent == [("empty.bin", None), ("full.bin", b"100-continue")]
    assert backend.list("") == ["empty.bin", "full.bin"]
    assert b"".join(backend.stream_read("full.bin")) == b"content"


def test_failed_multipart_upload_is_aborted(s3_server: S3Server) -> None:
    """A source failing after two parts aborts the upload: no object, no unfinished upload."""
    backend = s3_server.make_backend("abort", part_size=5 * _MiB, max_concurrency=2)

    def failing() -> Iterator[bytes]:
        for _ in range(12):
            yield b"x" * _MiB
        raise OSError("source broke")

    with pytest.raises(OSError, match="source broke"):
        backend.stream_write("big.bin", failing())
    assert backend.list("") == []
    assert backend.incomplete_uploads("") == []


def test_read_returns_a_chunked_stream(s3_server: S3Server) -> None:
    """read() gives a stream that reads in pieces; a missing path raises SnapshotNotFoundError."""
    backend = s3_server.make_backend("read")
    backend.stream_write("f", iter([b"abc" * 1000]))
    with backend.read("f") as stream:
        assert stream.read(10) == b"abcabcabca"
        assert stream.read() == (b"abc" * 1000)[10:]
    with pytest.raises(SnapshotNotFoundError, match="'nope'"):
        backend.read("nope")


def test_sync_copies_on_the_server_with_encryption_options(s3_server: S3Server) -> None:
    """sync copies every object below a folder, and objects carry the configured storage class."""
    backend = s3_server.make_backend("sync", storage_class="STANDARD")
    for index in range(25):
        backend.stream_write(f"src/{index:02d}", iter([str(index).encode()]))
    backend.sync("src/", "dst/")
    assert backend.list("dst/") == [f"dst/{index:02d}" for index in range(25)]
    assert b"".join(backend.stream_read("dst/07")) == b"7"


def test_wrong_credentials_are_one_line_naming_bucket_and_endpoint(s3_server: S3Server) -> None:
    """A refused secret key gives one line naming the bucket, the endpoint and the credentials."""
    backend = s3_server.make_backend("creds", secret_key="not-the-secret")
    message = str(_failure(lambda: backend.list("")))
    assert "\n" not in message
    assert repr(s3_server.bucket_name) in message
    assert s3_server.endpoint_url in message
    assert "credentials were refused" in message


def test_missing_bucket_is_named(s3_server: S3Server) -> None:
    """A bucket that does not exist gives one line saying so, for reads and writes alike."""
    backend = s3_server.make_backend("nobucket", bucket_name="no-such-bucket-here")
    for call in (lambda: backend.list(""), lambda: backend.stream_write("x", iter([b"x"]))):
        message = str(_failure(call))
        assert "'no-such-bucket-here'" in message
        assert "the bucket does not exist" in message
        assert "\n" not in message


def test_closed_port_is_endpoint_down(s3_server: S3Server) -> None:
    """An endpoint where nothing listens fails with one line naming it."""
    port = free_ports(1)[0]
    options: dict[str, Any] = {
        **s3_server.settings_options("down"),
        "endpoint_url": f"http://127.0.0.1:{port}",
    }
    message = str(_failure(lambda: S3Backend(**options).list("")))
    assert f"127.0.0.1:{port}" in message
    assert "cannot reach the endpoint" in message
    assert "\n" not in message


def test_silent_endpoint_fails_within_thirty_seconds(s3_server: S3Server) -> None:
    """An endpoint that accepts connections but never answers fails (default timeouts) in 30 s."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        options: dict[str, Any] = {
            **s3_server.settings_options("silent"),
            "endpoint_url": f"http://127.0.0.1:{port}",
        }
        errors: list[BaseException] = []

        def run() -> None:
            try:
                S3Backend(**options).list("")
            except BaseException as error:  # noqa: BLE001 - handed to the test thread
                errors.append(error)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), "the backend hung on an endpoint that never answers"
    assert len(errors) == 1 and isinstance(errors[0], SnapshotStorageError)
    assert "did not answer" in str(errors[0])


def test_without_boto3_construction_names_the_extra() -> None:
    """Without boto3 the module imports, and constructing S3Backend names django-snapshots[s3]."""
    code = (
        "import sys; sys.modules['boto3'] = None\n"
        "from django_snapshots.storage.s3 import S3Backend\n"
        "try:\n"
        "    S3Backend('bucket')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.startswith("ImproperlyConfigured ")
    assert "django-snapshots[s3]" in result.stdout


def test_bad_options_raise_improperly_configured() -> None:
    """An empty bucket, small parts or an unknown addressing style are refused at construction."""
    with pytest.raises(ImproperlyConfigured, match="bucket_name"):
        S3Backend("")
    with pytest.raises(ImproperlyConfigured, match="part_size"):
        S3Backend("b", part_size=1024)
    with pytest.raises(ImproperlyConfigured, match="addressing_style"):
        S3Backend("b", addressing_style="sideways")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_errors_are_snapshot_errors() -> None:
    """SnapshotStorageError is a SnapshotError, so a command line prints it as one line."""
    assert issubclass(SnapshotStorageError, SnapshotError)


_SLOW_UPLOAD = """
import json, sys, time
from django_snapshots.storage.s3 import S3Backend
backend = S3Backend(**json.loads(sys.argv[1]))
def chunks():
    sent = 0
    while True:
        yield b"z" * (1024 * 1024)
        sent += 1
        if sent == 11:
            print("parts sent", flush=True)
        if sent > 11:
            time.sleep(0.5)
backend.stream_write("snap/big.bin", chunks())
"""


def test_killed_upload_is_found_and_aborted(s3_server: S3Server) -> None:
    """A writer killed with SIGKILL mid-upload leaves an unfinished upload we list and abort."""
    options = s3_server.settings_options("killed", part_size=5 * _MiB, max_concurrency=1)
    backend = S3Backend(**options)
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_UPLOAD, json.dumps(options)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "parts sent"
        deadline = time.monotonic() + 30
        while backend.incomplete_uploads("snap/") != ["snap/big.bin"]:
            assert time.monotonic() < deadline, "the upload never showed up"
            time.sleep(0.2)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    assert backend.list("") == []
    assert backend.incomplete_uploads("") == ["snap/big.bin"]
    assert backend.incomplete_uploads("other/") == []
    assert backend.abort_incomplete_uploads("sna") == 0  # neither that file nor that folder
    assert backend.abort_incomplete_uploads("snap/big") == 0
    assert backend.abort_incomplete_uploads("snap") == 1
    assert backend.incomplete_uploads("") == []
    assert backend.abort_incomplete_uploads("snap/") == 0


def _through_proxy(s3_server: S3Server, port: int, prefix: str) -> S3Backend:
    """Return a backend that reaches the real server through the proxy on ``port``."""
    options: dict[str, Any] = {
        **s3_server.settings_options(prefix),
        "endpoint_url": f"http://127.0.0.1:{port}",
    }
    return S3Backend(**options)


def test_throttling_5xx_and_resets_are_retried(s3_server: S3Server) -> None:
    """A write answered SlowDown, InternalError and a connection reset still succeeds on retry."""
    upstream = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    with flaky_proxy(upstream, ["pass", "503", "500", "reset"]) as proxy:
        backend = _through_proxy(s3_server, proxy.port, "retry")
        backend.stream_write("snap/file", iter([b"content"]))
        assert b"".join(backend.stream_read("snap/file")) == b"content"
    puts = [line for line in proxy.seen if line.startswith("PUT ")]
    assert [line.rsplit(" ", 1)[1] for line in puts] == ["503", "500", "reset", "pass"]


def test_persistent_errors_give_up_with_one_line(s3_server: S3Server) -> None:
    """A server that keeps answering SlowDown fails after max_attempts, naming bucket and code."""
    upstream = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    with flaky_proxy(upstream, ["pass"] + ["503"] * 10) as proxy:
        backend = _through_proxy(s3_server, proxy.port, "giveup")
        message = str(_failure(lambda: backend.stream_write("f", iter([b"x"]))))
    assert "SlowDown" in message and repr(s3_server.bucket_name) in message
    assert "\n" not in message
    assert len([line for line in proxy.seen if line.startswith("PUT ")]) == 5


def test_a_download_that_breaks_off_resumes(s3_server: S3Server) -> None:
    """A read whose connection dies halfway resumes with a Range request and returns every byte."""
    content = bytes(range(256)) * 16384  # 4 MiB
    s3_server.make_backend("x")  # the server is up
    upstream = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    with flaky_proxy(upstream, ["pass", "pass", "truncate"]) as proxy:
        backend = _through_proxy(s3_server, proxy.port, "resume")
        backend.stream_write("big", iter([content]))
        assert b"".join(backend.stream_read("big")) == content
    gets = [line for line in proxy.seen if line.startswith("GET ") and "/big" in line]
    assert len(gets) == 2
    assert gets[0].endswith("-> truncate")
    assert "[bytes=" in gets[1]  # the rest only, asked for with a Range

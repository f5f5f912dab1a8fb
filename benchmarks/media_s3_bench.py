"""Media in S3 (2,000 small files): django-snapshots' backup and restore against boto3.

Issue 10, item 7. Starts SeaweedFS (``weed mini`` on loopback ports, telemetry off,
as ``tests/s3server.py`` does), uploads the 2,000 small files of
``benchmarks/media_bench.py`` (4-96 KB, half incompressible, half text; about 100 MB)
below a key prefix, and measures, each case in its own child process so that its
peak resident set size (``VmHWM``) is its own:

* ``ours.backup``: ``engine.create_snapshot`` of the media artifact with
  ``SNAPSHOTS["MEDIA_STORAGE"]`` naming a ``STORAGES`` alias of django-storages'
  ``S3Storage``, into a new, empty ``LocalFileSystemBackend`` folder (the default
  directory format: every object is read, hashed, compressed into the local pool);
* ``ours.backup.unchanged``: the same backup again, timed the second time (the
  parent's file list lets it reuse every object without reading it);
* ``boto3.get``: the baseline of a backup: ``list_objects_v2`` paginated, then
  ``get_object`` of every key with its body read to the end;
* ``ours.restore``: ``engine.restore_snapshot`` (replace mode, no safety snapshot)
  of such a snapshot into an emptied second prefix, so all 2,000 objects are written;
* ``boto3.put``: the baseline of a restore: ``put_object`` of the same 2,000 files
  into an emptied third prefix.

The server shares this machine's cores with the cases, so the cases are interleaved:
``--repeat`` rounds each run every case once; the median time of each case is
reported with the ratios ours / boto3. Peak RSS is the highest of a case's runs.
Nothing contacts a non-loopback address (``AWS_EC2_METADATA_DISABLED=true``).

    python benchmarks/media_s3_bench.py                 # 3 rounds
    python benchmarks/media_s3_bench.py --repeat 5 --cases ours.backup,boto3.get
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

MB = 1_000_000
CASES = ("ours.backup", "ours.backup.unchanged", "boto3.get", "ours.restore", "boto3.put")
PAIRS = {
    "backup": ("ours.backup", "boto3.get"),
    "unchanged backup": ("ours.backup.unchanged", "boto3.get"),
    "restore": ("ours.restore", "boto3.put"),
}
Spec = dict[str, Any]
"""What a child needs: the server, the prefixes' S3Storage options, the folders."""


def _client(spec: Spec) -> S3Client:
    from tests.s3server import S3Server

    return S3Server(**spec["server"]).client()


def _keys(client: S3Client, bucket: str, location: str) -> list[tuple[str, int]]:
    """Return every ``(key, size)`` below ``location/``, paginated."""
    found: list[tuple[str, int]] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{location}/"
    ):
        found.extend(
            (item.get("Key", ""), item.get("Size", 0)) for item in page.get("Contents", ())
        )
    return found


def _empty(client: S3Client, bucket: str, location: str) -> None:
    """Delete every object below ``location/``."""
    keys = [key for key, _ in _keys(client, bucket, location)]
    for start in range(0, len(keys), 1000):
        batch: list[ObjectIdentifierTypeDef] = [{"Key": k} for k in keys[start : start + 1000]]
        client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


def put_files(client: S3Client, bucket: str, location: str, files: Path) -> int:
    """``put_object`` every file below ``files`` at ``location/<relative path>``."""
    count = 0
    for path in sorted(p for p in files.rglob("*") if p.is_file()):
        key = f"{location}/{path.relative_to(files).as_posix()}"
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        count += 1
    return count


def get_objects(client: S3Client, bucket: str, location: str) -> int:
    """List ``location/`` and read every object's body to the end; return the bytes."""
    total = 0
    for key, _ in _keys(client, bucket, location):
        total += len(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    return total


def _configure(spec: Spec, media: str, store: Path) -> None:
    """Configure Django: ``STORAGES["media"]`` (an S3Storage) is ``MEDIA_STORAGE``."""
    import django
    from django.conf import settings

    s3 = "storages.backends.s3.S3Storage"
    settings.configure(
        INSTALLED_APPS=["django_snapshots"],
        USE_TZ=True,
        STORAGES={
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(Path(spec["work"]) / "default")},
            },
            "media": {"BACKEND": s3, "OPTIONS": spec["storages"][media]},
            "source": {"BACKEND": s3, "OPTIONS": spec["storages"]["source"]},
        },
        SNAPSHOTS={
            "STORAGE": {
                "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
                "OPTIONS": {"location": str(store)},
            },
            "MEDIA_STORAGE": "media",
            "DEFAULT_ARTIFACTS": ["media"],
        },
    )
    django.setup()
    from django_snapshots.engine import backup as engine_backup

    # pip freeze (a second or two, beside the media work) is not what is measured here.
    setattr(engine_backup, "pip_freeze", lambda: ["benchmark==0"])  # noqa: B010


def _backup(name: str) -> dict[str, Any]:
    """Back up the configured media (``MEDIA_STORAGE``) as ``name``; return its metadata."""
    from django_snapshots import engine

    snapshot = engine.create_snapshot(name)
    (record,) = snapshot.artifacts
    return dict(record.metadata)


def _peak_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def child(case: str, spec: Spec) -> dict[str, Any]:
    """Run one case once (in this fresh process); return its time, peak RSS and checks."""
    work = Path(spec["work"])
    client = _client(spec)
    bucket = spec["server"]["bucket_name"]
    prefixes = {role: options["location"] for role, options in spec["storages"].items()}
    checked: dict[str, Any] = {}
    if case.startswith("ours."):
        restoring = case == "ours.restore"
        fresh = work / f"store-{uuid.uuid4().hex}"
        store = Path(spec.get("store") or (spec["restore_store"] if restoring else fresh))
        _configure(spec, "target" if restoring else "source", store)
        from django.core.files.storage import storages

        storages["media"].listdir("")  # connect once, outside the timing
        if case == "ours.backup.unchanged":
            _backup("first")
        elif restoring:
            _empty(client, bucket, prefixes["target"])
        from django_snapshots import engine

        started = time.perf_counter()
        if restoring:
            engine.restore_snapshot("bench", safety_snapshot=False)
        else:
            checked = _backup("second" if case.endswith("unchanged") else "bench")
        seconds = time.perf_counter() - started
        if restoring:
            checked = {"files": len(_keys(client, bucket, prefixes["target"]))}
    else:
        client.list_objects_v2(Bucket=bucket, MaxKeys=1)  # connect once, outside the timing
        if case == "boto3.put":
            _empty(client, bucket, prefixes["boto"])
        started = time.perf_counter()
        if case == "boto3.put":
            checked = {"files": put_files(client, bucket, prefixes["boto"], Path(spec["files"]))}
        else:
            checked = {"bytes": get_objects(client, bucket, prefixes["source"])}
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak": _peak_rss(), "checked": checked}


def _run(case: str, spec: Spec) -> dict[str, Any]:
    """Run ``case`` in a child process and return its decoded report."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, __file__, "--child", case, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    if result.returncode != 0:
        raise SystemExit(f"{case} failed:\n{result.stderr}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def _check(case: str, checked: dict[str, Any], count: int, size: int) -> None:
    """Stop if a case did not move every file (a benchmark of nothing measures nothing)."""
    files = checked.get("files", count)
    if files != count or checked.get("bytes", size) != size:
        raise SystemExit(f"{case}: expected {count} files of {size} bytes, got {checked}")
    if case == "ours.backup.unchanged" and checked.get("reused_files") != count:
        print(f"  note: the unchanged backup reused {checked.get('reused_files')} of {count}")


def main() -> None:
    """Start SeaweedFS, upload the files, run every case, print the table and ratios."""
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], json.loads(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset")
    arguments = parser.parse_args()
    cases = [case for case in CASES if case in arguments.cases.split(",")]

    from benchmarks.media_bench import make_small_files
    from tests.s3server import start_seaweedfs

    with (
        tempfile.TemporaryDirectory(prefix="media-s3-bench-") as folder,
        start_seaweedfs() as server,
    ):
        work = Path(folder)
        files = work / "media"
        make_small_files(files)
        paths = [p for p in files.rglob("*") if p.is_file()]
        count, size = len(paths), sum(p.stat().st_size for p in paths)
        roles = {"source": "media-source", "target": "media-restore", "boto": "boto3-put"}
        server_fields = dataclasses.asdict(server)
        del server_fields["directory"]
        spec: Spec = {
            "server": server_fields,
            "storages": {role: server.storages_options(name) for role, name in roles.items()},
            "work": str(work),
            "files": str(files),
            "restore_store": str(work / "restore-store"),
        }
        client = server.client()
        started = time.perf_counter()
        put_files(client, server.bucket_name, spec["storages"]["source"]["location"], files)
        print(
            f"SeaweedFS at {server.endpoint_url}; {count:,} files, {size / MB:.1f} MB "
            f"(uploaded in {time.perf_counter() - started:.1f} s, untimed); median of "
            f"{arguments.repeat} interleaved run(s) per case; {os.cpu_count()} cores shared "
            "with the server"
        )
        if "ours.restore" in cases:  # the snapshot every restore run restores, untimed
            prepared = _run("ours.backup", {**spec, "store": spec["restore_store"]})
            _check("ours.backup", prepared["checked"], count, size)
        times: dict[str, list[float]] = {case: [] for case in cases}
        peaks: dict[str, int] = dict.fromkeys(cases, 0)
        for _ in range(arguments.repeat):
            for case in cases:
                report = _run(case, spec)
                _check(case, report["checked"], count, size)
                times[case].append(report["seconds"])
                peaks[case] = max(peaks[case], report["peak"])
        medians = {case: statistics.median(values) for case, values in times.items()}
        print(f"  {'case':24s} {'median s':>9s} {'files/s':>8s} {'peak RSS MB':>12s}")
        for case in cases:
            print(
                f"  {case:24s} {medians[case]:9.2f} {count / medians[case]:8.0f} "
                f"{peaks[case] / MB:12.1f}"
            )
        for label, (ours, theirs) in PAIRS.items():
            if ours in medians and theirs in medians:
                print(f"  ratio {label:16s} ours / boto3 = {medians[ours] / medians[theirs]:.2f}")


if __name__ == "__main__":
    main()

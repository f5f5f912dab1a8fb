"""Compare S3Backend with plain boto3 on a local SeaweedFS server: time and peak memory.

Starts ``weed mini`` on loopback ports (as the test fixture does), writes a file of
random bytes (~200 MB by default), then runs four cases, each in its own child
process so that its peak resident set size (``VmHWM``) is its own:

* ``S3Backend.stream_write``: the file read in 1 MiB chunks, as a backup sends it;
* ``boto3 upload_fileobj``: the same file, boto3's managed transfer defaults;
* ``S3Backend.stream_read``: the object written back to a local file;
* ``boto3 download_fileobj``: the same, with boto3's managed transfer.

The server shares this machine's cores, and its first writes (volume creation) are
slow, so an untimed warm-up upload comes first and the cases are interleaved:
``--repeat`` rounds each run every case once, and the median time of each case is
reported with the ratio S3Backend / boto3 (target: at most 1.2). Peak RSS is the
highest of a case's runs.

    python benchmarks/s3_bench.py                 # 200 MiB, 3 repeats
    python benchmarks/s3_bench.py --size-mib 50 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

MIB = 1024 * 1024
TARGET_RATIO = 1.2

_CHILD = r"""
import json, os, sys, time
from functools import partial
import django
from django.conf import settings
settings.configure()
django.setup()
import boto3
from django_snapshots.storage.s3 import S3Backend

case, options, source, scratch, repeat = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
backend = S3Backend(**options)
backend.list("")  # connect once, outside the timings
client = boto3.client(
    "s3", endpoint_url=options["endpoint_url"], region_name=options["region_name"],
    aws_access_key_id=options["access_key"], aws_secret_access_key=options["secret_key"],
)
bucket, prefix = options["bucket_name"], options["location"]
times = []
for _ in range(repeat):
    started = time.perf_counter()
    if case == "backend.stream_write":
        with open(source, "rb") as stream:
            backend.stream_write("bench.bin", iter(partial(stream.read, 1024 * 1024), b""))
    elif case == "boto3.upload_fileobj":
        with open(source, "rb") as stream:
            client.upload_fileobj(stream, bucket, f"{prefix}/boto.bin")
    elif case == "backend.stream_read":
        with open(scratch, "wb") as out:
            for chunk in backend.stream_read("bench.bin"):
                out.write(chunk)
    elif case == "boto3.download_fileobj":
        with open(scratch, "wb") as out:
            client.download_fileobj(bucket, f"{prefix}/boto.bin", out)
    times.append(time.perf_counter() - started)
peak = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
print(json.dumps({"times": times, "peak": peak}))
"""

CASES = (
    "backend.stream_write",
    "boto3.upload_fileobj",
    "backend.stream_read",
    "boto3.download_fileobj",
)


def _make_source(path: Path, size: int) -> None:
    """Write ``size`` random (incompressible) bytes to ``path``."""
    with open(path, "wb") as out:
        remaining = size
        while remaining > 0:
            block = os.urandom(min(MIB, remaining))
            out.write(block)
            remaining -= len(block)


def _run(case: str, options: dict[str, Any], source: Path, scratch: Path, repeat: int) -> Any:
    """Run one case in a child process and return its decoded report."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            case,
            json.dumps(options),
            str(source),
            str(scratch),
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if result.returncode != 0:
        raise SystemExit(f"{case} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Start SeaweedFS, run every case, print the table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part-mib", type=int, default=5, help="S3Backend part_size")
    parser.add_argument("--concurrency", type=int, default=4, help="S3Backend max_concurrency")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset")
    arguments = parser.parse_args()
    size = arguments.size_mib * MIB

    from tests.s3server import start_seaweedfs

    with tempfile.TemporaryDirectory(prefix="s3-bench-") as folder, start_seaweedfs() as server:
        source = Path(folder) / "source.bin"
        scratch = Path(folder) / "downloaded.bin"
        _make_source(source, size)
        options = server.settings_options(
            "bench", part_size=arguments.part_mib * MIB, max_concurrency=arguments.concurrency
        )
        cases = [case for case in CASES if case in arguments.cases.split(",")]
        print(
            f"SeaweedFS at {server.endpoint_url}; {arguments.size_mib} MiB of random bytes; "
            f"median of {arguments.repeat} interleaved run(s) per case; S3Backend parts of "
            f"{arguments.part_mib} MiB, {arguments.concurrency} at a time"
        )
        _run("boto3.upload_fileobj", options, source, scratch, 1)  # warm-up, untimed
        times: dict[str, list[float]] = {case: [] for case in cases}
        peaks: dict[str, int] = dict.fromkeys(cases, 0)
        for _ in range(arguments.repeat):
            for case in cases:
                report = _run(case, options, source, scratch, 1)
                times[case].extend(report["times"])
                peaks[case] = max(peaks[case], report["peak"])
        medians = {case: statistics.median(values) for case, values in times.items()}
        for case in cases:
            rate = size / MIB / medians[case]
            print(
                f"  {case:24s} {medians[case]:7.2f} s  {rate:7.1f} MiB/s  "
                f"peak RSS {peaks[case] / 1e6:6.1f} MB"
            )
        pairs = {
            "write": ("backend.stream_write", "boto3.upload_fileobj"),
            "read": ("backend.stream_read", "boto3.download_fileobj"),
        }
        for label, (ours, theirs) in pairs.items():
            if ours not in medians or theirs not in medians:
                continue
            ratio = medians[ours] / medians[theirs]
            verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
            print(
                f"  ratio {label:5s} S3Backend / boto3 = {ratio:.2f} "
                f"(target <= {TARGET_RATIO}) {verdict}"
            )


if __name__ == "__main__":
    main()

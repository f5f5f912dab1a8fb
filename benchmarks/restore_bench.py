"""Time a restore of database + media: overlapped vs one step after another, and the safety cost.

Uses the generated SQLite project of ``benchmarks/bench.py`` (a database of at least
``--db-mb`` and a ``MEDIA_ROOT`` of at least ``--media-mb``; generated once, reused).
In one process and on the same data it takes one snapshot of database + media, then
times, best of ``--repeat``:

- ``sequential``: the restore's steps one after the other — fetch (download, hash,
  decompress) the database, fetch the media, import the database, import the media;
- ``restore``: :func:`django_snapshots.engine.execute_restore` without a safety snapshot
  (fetches concurrent, then the media import beside the database load);
- ``restore + safety``: the same with the safety snapshot taken while fetching.

The three cases are interleaved, and ``os.sync()`` runs (untimed) before each, so the
write-back of one run's files does not land in the next one's time.

It prints the times, ``restore / sequential`` (the target is at most 0.8) and the
safety snapshot's cost as ratios to the restore alone: extra time and stored bytes.

Run: ``python benchmarks/restore_bench.py [--dir /tmp/snapshots-bench] [--db-mb 100]
[--media-mb 100] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MB = 1024 * 1024
TARGET_OVERLAP = 0.8


def _timed(work: Callable[[], object], before: Callable[[], None]) -> float:
    """Return the seconds ``work`` takes, after ``before`` and an ``os.sync()`` (untimed).

    Syncing first keeps the previous run's dirty pages from being written back during
    this one, so the cases do not slow each other down.
    """
    before()
    os.sync()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    """Generate or reuse the project, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapshots-bench"))
    parser.add_argument("--db-mb", type=int, default=100)
    parser.add_argument("--media-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)

    sys.path[:0] = [str(HERE), str(ROOT)]
    import bench  # the generator of benchmarks/bench.py

    bench.prepare_sqlite(options.dir, options)
    bench.reset_sqlite(options.dir)
    project = options.dir / "project"
    store = Path(tempfile.mkdtemp(prefix="restore-bench-store-"))
    os.environ["BENCH_STORE"] = str(store)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    sys.path.insert(0, str(project))
    import django

    django.setup()
    from django_snapshots import engine
    from django_snapshots.artifacts.database import database_exporters
    from django_snapshots.artifacts.media import media_exporters
    from django_snapshots.engine.fetch import fetch_all
    from django_snapshots.engine.types import run_artifact_method
    from django_snapshots.retention import is_safety_snapshot
    from django_snapshots.settings import get_storage

    storage = get_storage()
    exporters = [*database_exporters(), *media_exporters()]
    snapshot = engine.create_snapshot("bench", exporters=exporters)
    plain_mb = (
        sum(int(record.metadata.get("plain_size", record.size)) for record in snapshot.artifacts)
        / MB
    )

    def drop_safety() -> None:
        for listing in engine.list_snapshots():
            if listing.snapshot is not None and is_safety_snapshot(listing.snapshot):
                engine.delete_snapshot(listing.name)

    def sequential() -> None:
        plan = engine.prepare_restore("bench", safety_snapshot=False)
        scratch = Path(tempfile.mkdtemp(prefix="restore-bench-"))
        try:
            plain: dict[str, Path] = {}
            for record, _ in plan.selected:
                plain.update(
                    fetch_all(storage, plan.location, plan.snapshot, [record], scratch, None)
                )
            for record, importer in plan.selected:
                run_artifact_method(importer.restore, plain[record.filename])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def restore(safety: bool) -> Callable[[], object]:
        def run() -> object:
            return engine.execute_restore(engine.prepare_restore("bench", safety_snapshot=safety))

        return run

    restore(False)()  # warm the page cache and the code paths once, untimed
    times: dict[str, list[float]] = {"sequential": [], "alone": [], "safety": []}
    for _ in range(options.repeat):  # interleaved, so drifting machine load hits every case
        times["sequential"].append(_timed(sequential, lambda: None))
        times["alone"].append(_timed(restore(False), lambda: None))
        times["safety"].append(_timed(restore(True), drop_safety))
    one_by_one, alone, with_safety = (min(times[key]) for key in ("sequential", "alone", "safety"))
    medians = {key: statistics.median(values) for key, values in times.items()}
    safety_sizes = [
        listing.snapshot.size
        for listing in engine.list_snapshots()
        if listing.snapshot is not None and is_safety_snapshot(listing.snapshot)
    ]
    safety_bytes = safety_sizes[0] if safety_sizes else 0
    drop_safety()
    shutil.rmtree(store, ignore_errors=True)

    files = (options.dir / "media-files.txt").read_text().strip()
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(
        f"data: database {(project / 'db.sqlite3').stat().st_size / MB:.0f} MiB, media "
        f"{bench.folder_mb(project / 'media'):.0f} MiB in {files} files; snapshot stored "
        f"{snapshot.size / MB:.1f} MiB ({plain_mb:.0f} MiB plain); best of {options.repeat}; "
        f"{os.cpu_count()} CPUs, load average {' '.join(load) or 'unknown'} (other work on the "
        "machine slows the overlapped case most)"
    )
    print(f"{'case':<62}{'best s':>8}{'median s':>10}")
    for label, key, best in (
        ("sequential (fetch db, fetch media, import db, import media)", "sequential", one_by_one),
        ("restore (overlapped, no safety snapshot)", "alone", alone),
        ("restore + safety snapshot", "safety", with_safety),
    ):
        print(f"{label:<62}{best:8.2f}{medians[key]:10.2f}")
    print(f"median ratio restore / sequential = {medians['alone'] / medians['sequential']:.2f}")
    ratio = alone / one_by_one
    print(
        f"best ratio restore / sequential = {ratio:.2f} (target <= {TARGET_OVERLAP}: "
        f"{'met' if ratio <= TARGET_OVERLAP else 'NOT met'})"
    )
    print(
        f"safety snapshot cost vs the restore alone: time +{(with_safety - alone) / alone:.2f}x "
        f"({with_safety / alone:.2f}x in all), storage {safety_bytes / snapshot.size:.2f}x "
        f"({safety_bytes / MB:.1f} MiB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

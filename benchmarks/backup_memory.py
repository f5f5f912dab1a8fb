"""Measure the whole-process peak memory of backing up a large MEDIA_ROOT, Django loaded.

A child process sets up the example project with Django, points ``MEDIA_ROOT`` at a
generated tree (a few large files of random bytes and many small text files, about
``--media-mib`` in all, made once and reused) and backs it up with
:func:`django_snapshots.create_snapshot` into a local folder, then reports its peak
resident set size (``VmHWM``). The issue's target is a peak of at most 150 MB for
1 GiB of media.

    python benchmarks/backup_memory.py                 # 1 GiB of media
    python benchmarks/backup_memory.py --media-mib 256 --format archive
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
TARGET_MB = 150


def make_media(folder: Path, size_mib: int) -> None:
    """Create (once) a media tree of about ``size_mib`` MiB: 90% large random files."""
    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == str(size_mib):
        return
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "small").mkdir(parents=True)
    large = size_mib * 9 // 10
    for index in range(max(1, large // 128)):
        with open(folder / f"large-{index}.bin", "wb") as out:
            for _ in range(min(128, large - index * 128)):
                out.write(os.urandom(MIB))
    text = ("lorem ipsum dolor sit amet " * 40).encode()
    for index in range((size_mib - large) * MIB // len(text) // 4):
        (folder / "small" / f"note-{index}.txt").write_bytes(text * 4)
    marker.write_text(str(size_mib))


def child(media: Path, storage: Path, snapshot_format: str) -> None:
    """Back up ``media`` into ``storage`` and print the peak memory as JSON."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.example.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from django_snapshots import LocalFileSystemBackend, create_snapshot
    from django_snapshots.artifacts.media import MediaArtifactExporter

    settings.MEDIA_ROOT = str(media)
    started = time.perf_counter()
    create_snapshot(
        "memory",
        exporters=[MediaArtifactExporter(media)],
        storage=LocalFileSystemBackend(storage),
        snapshot_format="archive" if snapshot_format == "archive" else "directory",
        overwrite=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))


def main() -> None:
    """Prepare the media, run the child, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapshots-memory"))
    parser.add_argument("--media-mib", type=int, default=1024)
    parser.add_argument("--format", choices=("directory", "archive"), default="directory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    media, storage = options.dir / "media", options.dir / "storage"
    if options.child:
        child(media, storage, options.format)
        return
    make_media(media, options.media_mib)
    shutil.rmtree(storage, ignore_errors=True)
    command = [sys.executable, __file__, "--child", "--dir", str(options.dir)]
    result = subprocess.run(
        [*command, "--media-mib", str(options.media_mib), "--format", options.format],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    verdict = "ok" if figures["peak_mb"] <= TARGET_MB else "OVER"
    print(
        f"backup of {options.media_mib} MiB of media ({options.format}): "
        f"{figures['seconds']:.1f} s, whole-process peak {figures['peak_mb']:.0f} MB "
        f"(target <= {TARGET_MB} MB: {verdict})"
    )
    shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    main()

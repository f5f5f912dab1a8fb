"""The encrypted media pool against the plain pool and the encrypted tar: time and bytes.

One run, in a scratch folder (default ``/tmp/snapshots-encpool-bench``), through the
real engine over a ``LocalFileSystemBackend``, on the media tree of
``benchmarks/media_bench.py`` (2,000 small files and three large ones, about 220 MB).
For each case — plain pool (no ``ENCRYPTION``), encrypted pool in public-key mode (a
host holding every key), encrypted pool in passphrase mode, and the encrypted tar a
recipients-only backup host writes — it times a first backup, a second one with
nothing changed, and a restore of the second into an empty directory, and prints the
bytes each backup wrote. ``pip freeze`` is run once and reused.

    python benchmarks/encrypted_pool_bench.py [--dir /tmp/snapshots-encpool-bench]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_bench import _setup, make_media

MB = 1_000_000


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _case(name: str, encryption: Any, media: Path, work: Path) -> None:
    from django.test import override_settings

    from django_snapshots import engine
    from django_snapshots.artifacts.media import MediaArtifactExporter, media_importer_factory
    from django_snapshots.settings import reset_settings_cache
    from django_snapshots.storage.local import LocalFileSystemBackend

    folder = work / name
    storage = LocalFileSystemBackend(folder / "store")
    restore_as = encryption
    if isinstance(encryption, tuple):
        encryption, restore_as = encryption
    figures: list[str] = []
    with override_settings(SNAPSHOTS={"STORAGE": storage, "ENCRYPTION": encryption}):
        reset_settings_cache()
        for snapshot in ("first", "second"):
            before = _size(folder)
            subprocess.run(["sync"], check=False)
            start = time.perf_counter()
            engine.create_snapshot(
                snapshot, exporters=[MediaArtifactExporter(media)], storage=storage
            )
            seconds = time.perf_counter() - start
            written = (_size(folder) - before) / MB
            figures.append(f"{snapshot} backup {seconds:6.2f} s {written:8.2f} MB")
    with override_settings(SNAPSHOTS={"STORAGE": storage, "ENCRYPTION": restore_as}):
        reset_settings_cache()
        target = folder / "restored"
        target.mkdir()
        subprocess.run(["sync"], check=False)
        start = time.perf_counter()
        # The restore alone: a restore-only host cannot take a safety snapshot anyway.
        engine.restore_snapshot(
            "second",
            importers={"media": media_importer_factory(target)},
            storage=storage,
            safety_snapshot=False,
        )
        figures.append(f"restore {time.perf_counter() - start:6.2f} s")
    reset_settings_cache()
    print(f"{name:22} " + " | ".join(figures), flush=True)


def main() -> None:
    """Run every case once and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapshots-encpool-bench"))
    args = parser.parse_args()
    work: Path = args.dir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    _setup()
    from django_snapshots.encryption import AgeEncryption, generate_identity, generate_signing_pair

    media = work / "media"
    make_media(media)
    print(f"media: {_size(media) / MB:.1f} MB", flush=True)
    identity, recipient = generate_identity()
    signing, verify = generate_signing_pair()
    full = AgeEncryption(recipients=[recipient], identities=[identity], signing_key=signing)
    backup_host = AgeEncryption(recipients=[recipient], signing_key=signing)
    restore_host = AgeEncryption(identities=[identity], verify_keys=[verify])
    _case("plain pool", None, media, work)
    _case("encrypted pool (keys)", full, media, work)
    _case("encrypted pool (pass)", AgeEncryption(passphrase="bench " * 8), media, work)
    _case("encrypted tar", (backup_host, restore_host), media, work)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Measure what encryption costs: throughput against the plain pipeline, and peak memory.

Each case runs in its own child process and reports its wall time, its CPU time (all
threads; on a busy machine compare these) and peak resident set size (``VmHWM``). The artifact is a generated file (default 1 GiB), half random bytes
and half repetitive text, so zstd has work to do and the result is not trivially small.

    python benchmarks/encryption_bench.py               # 1 GiB, best of 3
    python benchmarks/encryption_bench.py --size-mib 256 --repeat 5

With ``--repeat N`` every case runs N times, the rounds interleaved (each round runs
every case once), and the table shows each case's fastest run: on a shared machine
the fastest run is the one least disturbed, and interleaving gives every case the
same chances. Peak memory is the highest of the runs.

Cases (public-key mode unless named otherwise):

- ``stream.plain`` / ``stream.age``: the raw file hashed, or pulled through
  ``encrypting_reader`` and pushed through ``decrypting_writer`` (no compression).
- ``backup.plain`` / ``backup.age``: file -> zstd -> sha256 [-> age -> sha256] ->
  ``LocalFileSystemBackend.write``, the one-pass backup of an artifact.
- ``restore.plain`` / ``restore.age``: storage read -> sha256 [-> age -> sha256] ->
  zstd -> file, the one-pass restore.
- ``passphrase.sessions``: passphrase mode's fixed cost per snapshot: the master key
  (scrypt, 128 MiB), wrapping a fresh identity at backup and unwrapping it at restore
  (age's scrypt, which rage calibrates to about a second on the machine).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
CASES = (
    "stream.plain",
    "stream.age",
    "backup.plain",
    "backup.age",
    "restore.plain",
    "restore.age",
    "passphrase.sessions",
)


def _peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _make_input(path: Path, size: int) -> None:
    """Write ``size`` bytes of half-random, half-text data to ``path``."""
    text = b"".join(b"row %08d: alice@example.com,2024-05-01,42.50\n" % i for i in range(12000))
    with path.open("wb") as file:
        written = 0
        while written < size:
            block = (os.urandom(MIB // 2) + text)[:MIB]
            file.write(block[: size - written])
            written += len(block)


def _keys(folder: Path) -> dict[str, str]:
    """Return (and remember in ``folder``) one key set for every case."""
    path = folder / "keys.json"
    if not path.exists():
        from django_snapshots.encryption import generate_identity, generate_signing_pair

        identity, recipient = generate_identity()
        signing, verify = generate_signing_pair()
        path.write_text(
            json.dumps(
                {"identity": identity, "recipient": recipient, "signing": signing, "verify": verify}
            )
        )
    keys: dict[str, str] = json.loads(path.read_text())
    return keys


class _Null(io.RawIOBase):
    """A sink that drops what it is given."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(memoryview(data))


def _host(folder: Path) -> Any:
    """Return a public-key backend that can back up and restore."""
    from django_snapshots.encryption import AgeEncryption

    keys = _keys(folder)
    return AgeEncryption(
        recipients=[keys["recipient"]], identities=[keys["identity"]], signing_key=keys["signing"]
    )


def _restore_session(host: Any, manifest: dict[str, Any]) -> Any:
    """Return a verified restore session for a sealed ``manifest``."""
    from django_snapshots.encryption import canonical_manifest_payload

    session = host.begin_restore(manifest["name"], manifest["encryption"])
    session.verify(canonical_manifest_payload(manifest), manifest["authentication"])
    return session


def _sealed(session: Any) -> dict[str, Any]:
    """Return a sealed minimal manifest of the benchmark snapshot."""
    from django_snapshots.encryption import canonical_manifest_payload

    manifest: dict[str, Any] = {"name": "bench", "encryption": session.header}
    manifest["authentication"] = session.seal(canonical_manifest_payload(manifest))
    return manifest


def _stream(folder: Path, encrypted: bool) -> None:
    """Hash the input, or encrypt it and decrypt it back, in one pass."""
    from django_snapshots.streams import HashingReader, HashingWriter, binary, iter_chunks

    with (folder / "input.bin").open("rb") as file:
        if not encrypted:
            for _ in iter_chunks(binary(HashingReader(file))):
                pass
            return
        host = _host(folder)
        backup = host.begin_backup("bench")
        restore = _restore_session(host, _sealed(backup))
        writer = restore.decrypting_writer(binary(HashingWriter(_Null())), "input.bin")
        for chunk in iter_chunks(backup.encrypting_reader(file, "input.bin")):
            writer.write(chunk)
        writer.close()


def _backup(folder: Path, encrypted: bool) -> None:
    """Compress, hash, (encrypt, hash) and store the input in one pass."""
    from django_snapshots.storage import LocalFileSystemBackend
    from django_snapshots.streams import HashingReader, binary, compressing_reader

    storage = LocalFileSystemBackend(folder / "store")
    with (folder / "input.bin").open("rb") as file:
        plain = HashingReader(compressing_reader(file, "zstd"))
        if not encrypted:
            storage.write("plain/input.bin.zst", binary(plain))
            return
        session = _host(folder).begin_backup("bench")
        stored = HashingReader(session.encrypting_reader(binary(plain), "input.bin.zst"))
        storage.write("age/input.bin.zst", binary(stored))
        (folder / "manifest.json").write_text(json.dumps(_sealed(session)))


def _restore(folder: Path, encrypted: bool) -> None:
    """Fetch, hash, (decrypt, hash) and decompress the stored artifact in one pass."""
    from django_snapshots.storage import LocalFileSystemBackend
    from django_snapshots.streams import HashingWriter, binary, decompressing_writer, iter_chunks

    storage = LocalFileSystemBackend(folder / "store")
    mode = "age" if encrypted else "plain"
    output = folder / f"restored-{mode}.bin"
    with output.open("wb") as file:
        decompress = decompressing_writer(file, "zstd")
        target: Any = HashingWriter(decompress)
        decrypt = None
        if encrypted:
            manifest = json.loads((folder / "manifest.json").read_text())
            session = _restore_session(_host(folder), manifest)
            decrypt = session.decrypting_writer(binary(target), "input.bin.zst")
            target = decrypt
        fetched = HashingWriter(target)
        with storage.read(f"{mode}/input.bin.zst") as stream:
            for chunk in iter_chunks(stream):
                fetched.write(chunk)
        if decrypt is not None:
            decrypt.close()
        decompress.close()
    assert output.stat().st_size == (folder / "input.bin").stat().st_size, "wrong size"
    output.unlink()


def _passphrase_sessions(folder: Path) -> None:
    """Open a passphrase backup session and a restore session that unwraps its key."""
    from django_snapshots.encryption import AgeEncryption
    from django_snapshots.streams import binary

    encryption = AgeEncryption(passphrase="benchmark passphrase, not a secret")
    restore = _restore_session(encryption, _sealed(encryption.begin_backup("bench")))
    restore.decrypting_writer(binary(_Null()), "unused").abort()


def _child(case: str, folder: Path) -> dict[str, float]:
    """Run one case; return its seconds and peak RSS."""
    sys.path.insert(0, str(ROOT))
    import django_snapshots.encryption  # noqa: F401 - import cost outside the timing

    baseline = _peak_rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    kind, _, mode = case.partition(".")
    if kind == "passphrase":
        _passphrase_sessions(folder)
    else:
        {"stream": _stream, "backup": _backup, "restore": _restore}[kind](folder, mode == "age")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": _peak_rss_mb(),
        "baseline_mb": baseline,
    }


def _run(case: str, folder: Path) -> dict[str, float]:
    """Run ``case`` in a child process and return what it measured."""
    command = [sys.executable, __file__, "--case", case, "--folder", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{result.stderr}")
    measured: dict[str, float] = json.loads(result.stdout)
    return measured


def main() -> int:
    """Run every case in a child process and print the table and the ratios."""
    parser = argparse.ArgumentParser(description="Measure the cost of encryption.")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is shown)")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_child(args.case, args.folder)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="snapshots-encryption-bench-"))
    try:
        _make_input(folder / "input.bin", args.size_mib * MIB)
        print(
            f"{args.size_mib} MiB artifact (half random, half text), one child process per "
            f"run, best of {args.repeat}\n"
        )
        print(
            f"{'case':<22} {'seconds':>8} {'CPU s':>8} {'MiB/s':>8} "
            f"{'peak RSS MB':>12} {'baseline MB':>12}"
        )
        runs: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
        for _ in range(args.repeat):
            for case in CASES:
                runs[case].append(_run(case, folder))
        results: dict[str, dict[str, float]] = {}
        for case in CASES:
            fastest = min(runs[case], key=lambda measured: measured["seconds"])
            peak = max(measured["peak_mb"] for measured in runs[case])
            results[case] = measured = {**fastest, "peak_mb": peak}
            rate = (
                ""
                if case.startswith("passphrase")
                else f"{args.size_mib / measured['seconds']:.0f}"
            )
            print(
                f"{case:<22} {measured['seconds']:>8.2f} {measured['cpu_seconds']:>8.2f} {rate:>8} "
                f"{measured['peak_mb']:>12.1f} {measured['baseline_mb']:>12.1f}"
            )
        print()
        for kind in ("stream", "backup", "restore"):
            ratio = results[f"{kind}.age"]["seconds"] / results[f"{kind}.plain"]["seconds"]
            print(f"{kind:<8} encrypted / plain time: {ratio:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time backup and restore of a generated project: this engine, 0.1.0b1, and the raw floor.

Generates (once; reused when present) a Django project under a scratch folder
(default ``/tmp/snapshots-bench``): a SQLite database of at least ``--db-mb`` (customers,
products, orders and order lines with foreign keys and indexes) and a ``MEDIA_ROOT`` of
at least ``--media-mb`` (thousands of small text files plus a few large incompressible
ones). Then, in the same run and in child processes, it times a backup and a restore
and records each child's peak resident memory for:

- ``ours``: this project through its Python API (:func:`django_snapshots.engine.create_snapshot`
  and :func:`~django_snapshots.engine.restore_snapshot`, database + media + environment);
- ``0.1.0b1``: django-snapshots 0.1.0b1's ``manage.py snapshots backup/restore`` from its
  own virtualenv (``--old-venv``, default ``/tmp/old-venv``, created if missing);
- ``raw``: the lower bound written here directly: SQLite's backup API + tar + zstd
  (multi-threaded) + sha256, database and media concurrently; its restore checks both
  checksums, copies the database into the live one with the backup API (as any
  restore under a running project must) and swaps the extracted media in.

It prints a table and the ratios ours/0.1.0b1 and ours/raw. Work is organised in
*suites* (:data:`SUITES`). ``--postgres`` adds, in the same run, the PostgreSQL suite of
``benchmarks/bench_postgres.py`` (plain ``pg_dump -Fc``/``pg_restore`` against our
connector, our engine, 0.1.0b1 and django-dbbackup where their virtualenvs exist).

Run: ``python benchmarks/bench.py [--dir /tmp/snapshots-bench] [--db-mb 200] [--media-mb 200]
[--repeat N] [--postgres [--pg-mb 200]]``. On a shared machine, ``--repeat 3`` keeps each case's fastest time
(and its highest peak memory), which removes most of the noise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024

TARGET_VS_OLD = 0.4
TARGET_VS_RAW = 1.5
TARGET_RESTORE_PEAK_MB = 150


@dataclass(frozen=True)
class Measured:
    """Wall time and peak resident memory of one child process."""

    seconds: float
    peak_mb: float


@dataclass
class Row:
    """One case's backup and restore measurements."""

    case: str
    backup: Measured | None = None
    restore: Measured | None = None
    stored_mb: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Case:
    """A way to back up and restore the project (each step runs as a child process)."""

    name: str
    backup: Callable[[Path], Sequence[str]]
    """Return the command line of a backup, given the bench folder."""
    restore: Callable[[Path], Sequence[str]]
    env: Callable[[Path], dict[str, str]]
    store: Callable[[Path], Path]
    """Where this case's snapshots land (its size is reported)."""
    available: Callable[[], str | None] = lambda: None
    """Return why the case cannot run, or None."""


@dataclass
class Suite:
    """A generated project and the cases run against it."""

    name: str
    prepare: Callable[[Path, argparse.Namespace], None]
    reset: Callable[[Path], None]
    """Put the project's data back to its generated state before a backup."""
    spoil: Callable[[Path], None]
    """Change the project's data before a restore (which must undo it)."""
    check: Callable[[Path], str | None]
    """Return what is wrong with the project after a restore, or None."""
    cases: list[Case] = field(default_factory=list[Case])


def run_child(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run ``argv`` to completion; return wall time and peak RSS (fail loudly on error)."""
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}):\n{output[-3000:]}")
    return Measured(elapsed, usage.ru_maxrss / 1024)


def folder_mb(path: Path) -> float:
    """Return the total size of the files below ``path`` in MiB."""
    if path.is_file():
        return path.stat().st_size / MB
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) / MB


# -- the SQLite project -----------------------------------------------------------------

SETTINGS = textwrap.dedent(
    """
    import os
    from pathlib import Path

    BASE = Path(__file__).resolve().parent
    SECRET_KEY = "bench"
    USE_TZ = True
    INSTALLED_APPS = [
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django_snapshots",
        "django_snapshots.backup",
        "django_snapshots.restore",
    ]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE / "db.sqlite3")}}
    MEDIA_ROOT = str(BASE / "media")
    SNAPSHOTS = {
        "STORAGE": {
            "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
            "OPTIONS": {"location": os.environ["BENCH_STORE"]},
        },
    }
    """
)

MANAGE = textwrap.dedent(
    """
    import os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
    """
)

SCHEMA = """
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
                       address TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE product (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
                      price_cents INTEGER NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY,
                     customer_id INTEGER NOT NULL REFERENCES customer(id),
                     placed TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE order_line (id INTEGER PRIMARY KEY,
                         order_id INTEGER NOT NULL REFERENCES orders(id),
                         product_id INTEGER NOT NULL REFERENCES product(id),
                         quantity INTEGER NOT NULL, token TEXT NOT NULL);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_placed ON orders(placed);
CREATE INDEX line_order ON order_line(order_id);
CREATE INDEX line_product ON order_line(product_id);
CREATE VIEW customer_totals AS
  SELECT o.customer_id, COUNT(*) AS lines FROM orders o JOIN order_line l ON l.order_id = o.id
  GROUP BY o.customer_id;
CREATE TRIGGER customer_email_lower AFTER INSERT ON customer
  BEGIN UPDATE customer SET email = lower(email) WHERE id = NEW.id; END;
"""


def _generate_database(path: Path, target_mb: int) -> None:
    """Fill a SQLite database of at least ``target_mb`` MiB."""
    if path.exists() and path.stat().st_size >= target_mb * MB:
        return
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
    db.execute(
        "INSERT INTO product SELECT value, 'SKU-' || value, 'Product number ' || value, "
        "value * 7 % 10000 FROM generate_series(1, 20000)"
        if sqlite3.sqlite_version_info >= (3, 46)
        else "WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s "
        "WHERE value < 20000) INSERT INTO product SELECT value, 'SKU-' || value, "
        "'Product number ' || value, value * 7 % 10000 FROM s"
    )
    batch = 100_000
    customers = 0
    orders = 0
    while path.stat().st_size < target_mb * MB:
        db.execute(
            "WITH RECURSIVE s(value) AS (SELECT ? UNION ALL SELECT value + 1 FROM s WHERE value < ?) "
            "INSERT INTO customer SELECT value, 'Customer ' || value, 'c' || value || '@example.com', "
            "value || ' Long Street, Apartment ' || (value % 97) || ', Springfield', "
            "datetime(1700000000 + value * 37, 'unixepoch') FROM s",
            (customers + 1, customers + batch // 4),
        )
        customers += batch // 4
        db.execute(
            "WITH RECURSIVE s(value) AS (SELECT ? UNION ALL SELECT value + 1 FROM s WHERE value < ?) "
            "INSERT INTO orders SELECT value, 1 + abs(random()) % ?, "
            "datetime(1700000000 + value * 13, 'unixepoch'), "
            "'order note ' || hex(randomblob(12)) FROM s",
            (orders + 1, orders + batch, customers),
        )
        db.execute(
            "WITH RECURSIVE s(value) AS (SELECT ? UNION ALL SELECT value + 1 FROM s WHERE value < ?) "
            "INSERT INTO order_line (order_id, product_id, quantity, token) "
            "SELECT value, 1 + abs(random()) % 20000, 1 + value % 5, hex(randomblob(8)) FROM s",
            (orders + 1, orders + batch),
        )
        orders += batch
        db.commit()
    db.close()


def _generate_media(media: Path, target_mb: int) -> None:
    """Fill ``media`` with many small text files and a few large random ones."""
    marker = media / ".generated"
    if marker.exists():
        return
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir(parents=True)
    small_total = target_mb * MB // 4
    written = 0
    index = 0
    while written < small_total:
        folder = media / "uploads" / f"{index // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = 2000 + (index * 7919) % 20000
        text = (f"document {index} " * (size // 12 + 1))[:size].encode()
        (folder / f"doc-{index}.txt").write_bytes(text)
        written += size
        index += 1
    large = media / "videos"
    large.mkdir()
    remaining = target_mb * MB - written
    count = 6
    for number in range(count):
        with open(large / f"clip-{number}.bin", "wb") as out:
            left = remaining // count + MB
            while left > 0:
                out.write(os.urandom(min(left, 4 * MB)))
                left -= 4 * MB
    marker.write_text("done")


def _media_files(media: Path) -> int:
    return sum(1 for item in media.rglob("*") if item.is_file())


def prepare_sqlite(bench: Path, options: argparse.Namespace) -> None:
    """Generate the project folder, its database and media (skipped when present)."""
    project = bench / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "bench_settings.py").write_text(SETTINGS)
    (project / "manage.py").write_text(MANAGE)
    pristine = bench / "pristine.sqlite3"
    _generate_database(pristine, options.db_mb)
    _generate_media(project / "media", options.media_mb)
    (bench / "media-files.txt").write_text(str(_media_files(project / "media")))


def reset_sqlite(bench: Path) -> None:
    """Copy the pristine database back."""
    shutil.copyfile(bench / "pristine.sqlite3", bench / "project" / "db.sqlite3")


def spoil_sqlite(bench: Path) -> None:
    """Empty the database and damage the media, so a restore has everything to redo."""
    database = bench / "project" / "db.sqlite3"
    database.unlink()
    sqlite3.connect(database).close()
    media = bench / "project" / "media"
    shutil.rmtree(media / "uploads" / "000")
    (media / "stray.txt").write_text("not in the snapshot")


def check_sqlite(bench: Path) -> str | None:
    """Compare row counts and media file count with the pristine project."""
    counts: list[tuple[int, ...]] = []
    for path in (bench / "pristine.sqlite3", bench / "project" / "db.sqlite3"):
        db = sqlite3.connect(path)
        counts.append(
            tuple(
                db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("customer", "orders", "order_line", "product")
            )
        )
        db.close()
    if counts[0] != counts[1]:
        return f"row counts differ after restore: {counts[1]} != {counts[0]}"
    files = _media_files(bench / "project" / "media")
    expected = int((bench / "media-files.txt").read_text())
    return None if files == expected else f"{files} media files after restore, expected {expected}"


# -- the cases ----------------------------------------------------------------------

OURS = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from django_snapshots import engine
    if sys.argv[1] == "backup":
        engine.create_snapshot("bench", overwrite=True)
    else:
        engine.restore_snapshot("bench")
    """
)

RAW = textwrap.dedent(
    '''
    """The lower bound: SQLite backup API + tar + zstd + sha256, nothing else."""
    import hashlib, os, shutil, sqlite3, sys, tarfile, tempfile
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    import zstandard

    project, store = Path(sys.argv[2]), Path(sys.argv[3])
    CHUNK = 1 << 20

    class Hashing:
        def __init__(self, out):
            self.out, self.hash = out, hashlib.sha256()
        def write(self, data):
            self.hash.update(data)
            return self.out.write(data)

    def compress(source, target):
        with open(target, "wb") as raw:
            sink = Hashing(raw)
            with zstandard.ZstdCompressor(level=3, threads=-1).stream_writer(sink, closefd=False) as z:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    z.write(chunk)
        return sink.hash.hexdigest()

    def backup_db():
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch, "db.sqlite3")
            src, dst = sqlite3.connect(project / "db.sqlite3"), sqlite3.connect(copy)
            src.backup(dst)
            dst.close(); src.close()
            with open(copy, "rb") as source:
                return compress(source, store / "db.sqlite3.zst")

    def backup_media():
        with open(store / "media.tar.zst", "wb") as raw:
            sink = Hashing(raw)
            with zstandard.ZstdCompressor(level=3, threads=-1).stream_writer(sink, closefd=False) as z:
                with tarfile.open(fileobj=z, mode="w|") as tar:
                    tar.add(project / "media", arcname="media")
        return sink.hash.hexdigest()

    def fetch(name, dest):
        digest = hashlib.sha256()
        with open(store / name, "rb") as source, open(dest, "wb") as out:
            with zstandard.ZstdDecompressor().stream_writer(out, closefd=False) as z:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    digest.update(chunk)
                    z.write(chunk)
        assert digest.hexdigest() == (store / (name + ".sha256")).read_text()

    if sys.argv[1] == "backup":
        store.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(2) as pool:
            db, media = pool.submit(backup_db), pool.submit(backup_media)
            (store / "db.sqlite3.zst.sha256").write_text(db.result())
            (store / "media.tar.zst.sha256").write_text(media.result())
    else:
        with tempfile.TemporaryDirectory(dir=project) as scratch:
            with ThreadPoolExecutor(2) as pool:
                jobs = [pool.submit(fetch, "db.sqlite3.zst", Path(scratch, "db.sqlite3")),
                        pool.submit(fetch, "media.tar.zst", Path(scratch, "media.tar"))]
                for job in jobs:
                    job.result()
            # Into the live database, in one step, as any safe restore must (not a rename).
            src, dst = sqlite3.connect(Path(scratch, "db.sqlite3")), sqlite3.connect(project / "db.sqlite3")
            src.backup(dst)
            dst.close(); src.close()
            staging = Path(scratch, "extract")
            with tarfile.open(Path(scratch, "media.tar")) as tar:
                tar.extractall(staging, filter="data")
            old = Path(scratch, "old-media")
            os.replace(project / "media", old)
            os.replace(staging / "media", project / "media")
    '''
)


def _env(bench: Path, store: str, python_path: Sequence[Path] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in [bench / "project", *python_path])
    env["BENCH_STORE"] = str(bench / store)
    return env


def ensure_old_venv(venv: Path) -> str | None:
    """Create the 0.1.0b1 virtualenv if missing; return why it is unusable, or None."""
    python = venv / "bin" / "python"
    probe = [
        str(python),
        "-c",
        "import importlib.metadata as m; print(m.version('django-snapshots'))",
    ]
    if python.exists():
        result = subprocess.run(probe, capture_output=True, text=True, check=False)
        if result.stdout.strip() == "0.1.0b1":
            return None
    print(f"creating {venv} with django-snapshots 0.1.0b1 ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "django-snapshots==0.1.0b1",
            "django>=5.2,<5.3",
        ],
    ]
    for step in steps:
        if subprocess.run(step, check=False).returncode != 0:
            return f"could not run {' '.join(step)}"
    return None


def sqlite_suite(options: argparse.Namespace) -> Suite:
    """Return the SQLite + media suite with its three cases."""
    old_python = str(options.old_venv / "bin" / "python")
    ours_script = ROOT / "benchmarks" / ".bench_ours.py"
    raw_script = ROOT / "benchmarks" / ".bench_raw.py"

    def scripts() -> None:
        ours_script.write_text(OURS)
        raw_script.write_text(RAW)

    scripts()
    return Suite(
        name="SQLite + media",
        prepare=prepare_sqlite,
        reset=reset_sqlite,
        spoil=spoil_sqlite,
        check=check_sqlite,
        cases=[
            Case(
                "ours",
                backup=lambda bench: [sys.executable, str(ours_script), "backup"],
                restore=lambda bench: [sys.executable, str(ours_script), "restore"],
                env=lambda bench: _env(bench, "store-ours", [ROOT]),
                store=lambda bench: bench / "store-ours",
            ),
            Case(
                "0.1.0b1",
                backup=lambda bench: [
                    old_python,
                    "manage.py",
                    "snapshots",
                    "backup",
                    "--name",
                    "bench",
                    "--overwrite",
                ],
                restore=lambda bench: [
                    old_python,
                    "manage.py",
                    "snapshots",
                    "restore",
                    "--name",
                    "bench",
                ],
                env=lambda bench: _env(bench, "store-old"),
                store=lambda bench: bench / "store-old",
                available=lambda: ensure_old_venv(options.old_venv),
            ),
            Case(
                "raw",
                backup=lambda bench: [
                    sys.executable,
                    str(raw_script),
                    "backup",
                    str(bench / "project"),
                    str(bench / "store-raw"),
                ],
                restore=lambda bench: [
                    sys.executable,
                    str(raw_script),
                    "restore",
                    str(bench / "project"),
                    str(bench / "store-raw"),
                ],
                env=lambda bench: _env(bench, "store-raw"),
                store=lambda bench: bench / "store-raw",
            ),
        ],
    )


SUITES: list[Callable[[argparse.Namespace], Suite]] = [sqlite_suite]
"""Suite builders, run in order; add a PostgreSQL suite here."""


def _best(previous: Measured | None, latest: Measured) -> Measured:
    """Keep the fastest run's time and the highest peak memory seen."""
    if previous is None:
        return latest
    return Measured(min(previous.seconds, latest.seconds), max(previous.peak_mb, latest.peak_mb))


def run_suite(suite: Suite, bench: Path, options: argparse.Namespace) -> list[Row]:
    """Prepare the project, then back up and restore it with every case."""
    print(f"== {suite.name}: preparing {bench} ...", flush=True)
    suite.prepare(bench, options)
    print(
        f"   database {folder_mb(bench / 'pristine.sqlite3'):.0f} MiB, "
        f"media {folder_mb(bench / 'project' / 'media'):.0f} MiB",
        flush=True,
    )
    rows: list[Row] = []
    for case in suite.cases:
        row = Row(case.name)
        rows.append(row)
        reason = case.available()
        if reason is not None:
            row.note = reason
            continue
        env = case.env(bench)
        cwd = bench / "project"
        for attempt in range(options.repeat):
            suite.reset(bench)
            shutil.rmtree(case.store(bench), ignore_errors=True)
            print(f"   {case.name}: backup ({attempt + 1}/{options.repeat}) ...", flush=True)
            row.backup = _best(row.backup, run_child(case.backup(bench), env, cwd))
            row.stored_mb = folder_mb(case.store(bench))
            suite.spoil(bench)
            print(f"   {case.name}: restore ({attempt + 1}/{options.repeat}) ...", flush=True)
            row.restore = _best(row.restore, run_child(case.restore(bench), env, cwd))
            problem = suite.check(bench)
            if problem is not None:
                row.note = problem
    return rows


def _cell(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def _ratio(ours: float | None, other: float | None) -> str:
    return "-" if ours is None or not other else f"{ours / other:.2f}x"


def report(suite: str, rows: list[Row]) -> str:
    """Return the table and ratios of one suite."""
    lines = [
        f"### {suite}",
        "",
        "| case | backup s | restore s | backup peak MiB | restore peak MiB | stored MiB | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        backup, restore = row.backup, row.restore
        lines.append(
            f"| {row.case} | {_cell(backup.seconds if backup else None)} "
            f"| {_cell(restore.seconds if restore else None)} "
            f"| {_cell(backup.peak_mb if backup else None, '{:.0f}')} "
            f"| {_cell(restore.peak_mb if restore else None, '{:.0f}')} "
            f"| {_cell(row.stored_mb, '{:.0f}')} | {row.note} |"
        )
    by_case = {row.case: row for row in rows}
    ours = by_case.get("ours")
    if ours is not None and ours.backup and ours.restore:
        lines += ["", "| ratio | backup | restore | target |", "|---|---:|---:|---|"]
        for other, target in (("0.1.0b1", f"<= {TARGET_VS_OLD}x"), ("raw", f"<= {TARGET_VS_RAW}x")):
            compared = by_case.get(other)
            if compared is None or not compared.backup or not compared.restore:
                continue
            lines.append(
                f"| ours/{other} | {_ratio(ours.backup.seconds, compared.backup.seconds)} "
                f"| {_ratio(ours.restore.seconds, compared.restore.seconds)} | {target} |"
            )
        lines.append(
            f"\nours restore peak memory: {ours.restore.peak_mb:.0f} MiB "
            f"(target < {TARGET_RESTORE_PEAK_MB} MiB)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every suite and print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapshots-bench"))
    parser.add_argument("--db-mb", type=int, default=200)
    parser.add_argument("--media-mb", type=int, default=200)
    parser.add_argument("--old-venv", type=Path, default=Path("/tmp/old-venv"))
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per case; the fastest time is kept"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also run the PostgreSQL suite (benchmarks/bench_postgres.py) in the same run",
    )
    parser.add_argument("--pg-mb", type=int, default=200, help="PostgreSQL database size")
    options = parser.parse_args(argv)
    outputs: list[str] = []
    try:
        for build in SUITES:
            suite = build(options)
            outputs.append(report(suite.name, run_suite(suite, options.dir, options)))
        if options.postgres:
            import bench_postgres

            rows = bench_postgres.run(
                lambda line: print(line, file=sys.stderr),
                size_mb=options.pg_mb,
                repeat=options.repeat,
            )
            outputs.append("postgresql\n" + bench_postgres.format_table(rows))
    finally:
        for leftover in (ROOT / "benchmarks").glob(".bench_*.py"):
            leftover.unlink()
    print("\n\n".join(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time PostgreSQL backup and restore: plain pg_dump/pg_restore against the connectors.

Builds a PostgreSQL database of at least ``--size-mb`` (default 200 MB: customers,
products and orders with foreign keys and indexes, filled by ``generate_series``),
then, in the same run, times a backup and a restore over the live database with:

- plain ``pg_dump -Fc`` to a file and ``pg_restore --single-transaction --clean`` back
  (the baseline every ratio is relative to);
- :class:`~django_snapshots.connectors.postgres.PostgresConnector` alone, with an
  uncompressed archive (the default: the engine compresses with zstd) and with
  pg_dump's own compression;
- this project's engine (:func:`django_snapshots.engine.create_snapshot` / ``restore``), when
  it is implemented;
- django-snapshots 0.1.0b1 and django-dbbackup 5.4, each from its own virtualenv,
  when the virtualenv exists.

Every case runs in a child process (so each gets a fresh Django) and its peak
resident memory is reported too. Run it standalone::

    python benchmarks/bench_postgres.py [--size-mb 200] [--keep]

or call :func:`run` from another benchmark script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
HOST = os.environ.get("SNAPSHOTS_POSTGRES_HOST", "127.0.0.1")
PORT = os.environ.get("SNAPSHOTS_POSTGRES_PORT", "5432")
USER = os.environ.get("SNAPSHOTS_POSTGRES_USER", "postgres")
OLD_VENV = Path(os.environ.get("SNAPSHOTS_OLD_VENV", "/tmp/servers-old-venv"))
DBBACKUP_VENV = Path(os.environ.get("SNAPSHOTS_DBBACKUP_VENV", "/tmp/dbbackup-venv"))
TARGET_RATIO = 1.3

Report = Callable[[str], None]


@dataclass(frozen=True)
class Row:
    """One measured case: backup and restore wall time, artifact size, peak memory."""

    name: str
    backup_s: float | None
    restore_s: float | None
    size_bytes: int | None
    peak_rss_mb: float | None
    note: str = ""


@dataclass(frozen=True)
class _Timed:
    seconds: float
    peak_rss_mb: float


def _admin(dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host=HOST, port=int(PORT), user=USER, dbname=dbname, autocommit=True)


def _run(
    argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> _Timed:
    """Run ``argv``; return its wall time and peak RSS (raise with its output on failure)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:3])} failed: {output.decode(errors='replace')[-2000:]}"
        )
    return _Timed(seconds, usage.ru_maxrss / 1024)


def create_database(name: str, size_mb: int, report: Report) -> int:
    """Create and fill database ``name`` until it holds ``size_mb``; return its size in bytes."""
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    rows = max(100_000, size_mb * 9_000)
    with _admin(name) as db:
        report(f"filling {name} with {rows} orders ...")
        db.execute(
            textwrap.dedent(
                f"""
                CREATE TABLE customer (
                    id bigserial PRIMARY KEY, email text NOT NULL UNIQUE,
                    name text NOT NULL, created timestamptz NOT NULL DEFAULT now());
                CREATE TABLE product (
                    id serial PRIMARY KEY, title text NOT NULL, description text,
                    price numeric(10, 2) NOT NULL);
                CREATE TABLE orders (
                    id bigserial PRIMARY KEY,
                    customer_id bigint NOT NULL REFERENCES customer (id),
                    product_id integer NOT NULL REFERENCES product (id),
                    quantity integer NOT NULL, note text, created timestamptz NOT NULL);
                INSERT INTO customer (email, name)
                    SELECT 'user' || i || '@example.com', 'Customer ' || i || ' — Zoë 東京'
                      FROM generate_series(1, {rows // 10}) AS i;
                INSERT INTO product (title, description, price)
                    SELECT 'Product ' || i, repeat(md5(i::text), 4), (i % 1000) / 10.0
                      FROM generate_series(1, 20000) AS i;
                INSERT INTO orders (customer_id, product_id, quantity, note, created)
                    SELECT 1 + i % {rows // 10}, 1 + i % 20000, 1 + i % 7,
                           md5(i::text) || ' ' || md5((i * 7)::text),
                           now() - (i % 100000) * interval '1 minute'
                      FROM generate_series(1, {rows}) AS i;
                CREATE INDEX orders_customer ON orders (customer_id);
                CREATE INDEX orders_product ON orders (product_id);
                CREATE INDEX orders_created ON orders (created);
                CREATE VIEW order_totals AS
                    SELECT customer_id, sum(quantity) AS items FROM orders GROUP BY customer_id;
                ANALYZE;
                """
            ).encode()
        )
        size = db.execute(b"SELECT pg_database_size(current_database())").fetchone()
    assert size is not None
    return int(str(size[0]))


def _settings_module(
    directory: Path, dbname: str, apps: Sequence[str], extra: str = ""
) -> dict[str, str]:
    """Write ``bench_settings.py`` for a child Django process; return its environment."""
    (directory / "bench_settings.py").write_text(
        textwrap.dedent(
            f"""
            SECRET_KEY = "bench"
            USE_TZ = True
            INSTALLED_APPS = {list(apps)!r}
            DATABASES = {{"default": {{
                "ENGINE": "django.db.backends.postgresql", "NAME": {dbname!r},
                "HOST": {HOST!r}, "PORT": {PORT!r}, "USER": {USER!r}}}}}
            """
        )
        + extra
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(directory), str(ROOT)])
    env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    return env


def _baseline(dbname: str, work: Path, compress: str | None) -> Row:
    """Time plain pg_dump -Fc to a file and pg_restore --single-transaction back."""
    dump = work / f"plain{compress or ''}.dump"
    flags = [f"--compress={compress}"] if compress is not None else []
    backup = _run(
        ["pg_dump", "-h", HOST, "-p", PORT, "-U", USER, "-Fc", *flags, "-f", str(dump), dbname]
    )
    restore = _run(
        [
            "pg_restore",
            "-h",
            HOST,
            "-p",
            PORT,
            "-U",
            USER,
            "--single-transaction",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "-d",
            dbname,
            str(dump),
        ]
    )
    label = "pg_dump -Fc | pg_restore" + (f" (-Z{compress})" if compress is not None else "")
    return Row(
        label,
        backup.seconds,
        restore.seconds,
        dump.stat().st_size,
        max(backup.peak_rss_mb, restore.peak_rss_mb),
    )


_CONNECTOR_SCRIPT = """
import sys
from pathlib import Path
import django
django.setup()
from django_snapshots.connectors.postgres import PostgresConnector
connector = PostgresConnector(compress_level=int(sys.argv[2]))
if sys.argv[1] == "dump":
    connector.dump("default", Path(sys.argv[3]))
else:
    connector.restore("default", Path(sys.argv[3]))
"""

_ENGINE_SCRIPT = """
import sys
import django
django.setup()
from django_snapshots import engine
if sys.argv[1] == "dump":
    engine.create_snapshot("bench", overwrite=True)
else:
    engine.restore_snapshot("bench")
"""


def _connector(dbname: str, work: Path, level: int) -> Row:
    """Time PostgresConnector.dump and .restore alone."""
    env = _settings_module(work, dbname, ["django_snapshots"])
    dump = work / f"connector{level}.dump"
    backup = _run([sys.executable, "-c", _CONNECTOR_SCRIPT, "dump", str(level), str(dump)], env=env)
    restore = _run(
        [sys.executable, "-c", _CONNECTOR_SCRIPT, "restore", str(level), str(dump)], env=env
    )
    return Row(
        f"PostgresConnector (-Z{level})",
        backup.seconds,
        restore.seconds,
        dump.stat().st_size,
        max(backup.peak_rss_mb, restore.peak_rss_mb),
        "connector alone, uncompressed archive" if level == 0 else "connector alone",
    )


def _engine_ready() -> bool:
    """Return True if this checkout's engine implements backup and restore."""
    source = (ROOT / "django_snapshots" / "engine.py").read_text()
    return "raise NotImplementedError" not in source


def _engine(dbname: str, work: Path) -> Row:
    """Time this project's engine: connector, zstd, checksum, local storage."""
    storage = work / "engine-storage"
    shutil.rmtree(storage, ignore_errors=True)
    extra = textwrap.dedent(
        f"""
        SNAPSHOTS = {{
            "STORAGE": {{"BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
                         "OPTIONS": {{"location": {str(storage)!r}}}}},
            "DEFAULT_ARTIFACTS": ["database"],
        }}
        """
    )
    env = _settings_module(
        work,
        dbname,
        ["django_snapshots", "django_snapshots.backup", "django_snapshots.restore"],
        extra,
    )
    backup = _run([sys.executable, "-c", _ENGINE_SCRIPT, "dump"], env=env)
    restore = _run([sys.executable, "-c", _ENGINE_SCRIPT, "restore"], env=env)
    size = sum(path.stat().st_size for path in storage.rglob("*") if path.is_file())
    return Row(
        "django-snapshots engine",
        backup.seconds,
        restore.seconds,
        size,
        max(backup.peak_rss_mb, restore.peak_rss_mb),
        "dump + zstd + sha256 + storage",
    )


def _old_release(dbname: str, work: Path) -> Row:
    """Time django-snapshots 0.1.0b1's CLI (plain SQL, gzip) from its own virtualenv."""
    storage = work / "old-storage"
    extra = f'SNAPSHOTS = {{"STORAGE": {{"BACKEND": "django_snapshots.storage.LocalFileSystemBackend", "OPTIONS": {{"location": {str(storage)!r}}}}}}}\n'
    directory = work / "old"
    shutil.rmtree(storage, ignore_errors=True)
    directory.mkdir(exist_ok=True)
    env = _settings_module(
        directory,
        dbname,
        ["django_snapshots", "django_snapshots.backup", "django_snapshots.restore"],
        extra,
    )
    env["PYTHONPATH"] = str(directory)
    python = str(OLD_VENV / "bin" / "python")
    backup = _run(
        [python, "-m", "django", "snapshots", "backup", "--name", "bench", "database"],
        env=env,
        cwd=directory,
    )
    restore = _run(
        [python, "-m", "django", "snapshots", "restore", "--name", "bench", "database"],
        env=env,
        cwd=directory,
    )
    size = sum(path.stat().st_size for path in storage.rglob("*") if path.is_file())
    return Row(
        "django-snapshots 0.1.0b1",
        backup.seconds,
        restore.seconds,
        size,
        max(backup.peak_rss_mb, restore.peak_rss_mb),
        "plain SQL + gzip, psql restore",
    )


def _dbbackup(dbname: str, work: Path) -> Row:
    """Time django-dbbackup 5.4 (pg_dump custom format, pg_restore) from its own virtualenv."""
    storage = work / "dbbackup-storage"
    shutil.rmtree(storage, ignore_errors=True)
    storage.mkdir()
    extra = textwrap.dedent(
        f"""
        STORAGES = {{
            "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
            "dbbackup": {{"BACKEND": "django.core.files.storage.FileSystemStorage",
                          "OPTIONS": {{"location": {str(storage)!r}}}}},
        }}
        """
    )
    directory = work / "dbbackup"
    directory.mkdir(exist_ok=True)
    env = _settings_module(directory, dbname, ["dbbackup"], extra)
    env["PYTHONPATH"] = str(directory)
    python = str(DBBACKUP_VENV / "bin" / "python")
    backup = _run(
        [
            python,
            "-m",
            "django",
            "dbbackup",
            "--database",
            "default",
            "--output-filename",
            "bench.dump",
            "--noinput",
        ],
        env=env,
        cwd=directory,
    )
    restore = _run(
        [
            python,
            "-m",
            "django",
            "dbrestore",
            "--database",
            "default",
            "--input-filename",
            "bench.dump",
            "--noinput",
        ],
        env=env,
        cwd=directory,
    )
    size = sum(path.stat().st_size for path in storage.rglob("*") if path.is_file())
    return Row(
        "django-dbbackup 5.4",
        backup.seconds,
        restore.seconds,
        size,
        max(backup.peak_rss_mb, restore.peak_rss_mb),
        "pg_dump custom, pg_restore",
    )


def _fingerprint(dbname: str) -> tuple[object, ...]:
    """Return row counts and a checksum of the orders table, to check each restore."""
    with _admin(dbname) as db:
        row = db.execute(
            b"SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM orders),"
            b" (SELECT sum(quantity) FROM orders), (SELECT count(*) FROM pg_indexes"
            b" WHERE schemaname = 'public')"
        ).fetchone()
    assert row is not None
    return tuple(row)


def format_table(rows: Sequence[Row]) -> str:
    """Render ``rows`` as a text table with ratios to the first (baseline) row."""
    base = rows[0]
    header = f"{'case':<34} {'backup s':>9} {'restore s':>10} {'x backup':>9} {'x restore':>10} {'x total':>8} {'size MB':>8} {'peak MB':>8}  note"
    lines = [header, "-" * len(header)]
    for row in rows:

        def ratio(value: float | None, reference: float | None) -> str:
            return f"{value / reference:.2f}" if value is not None and reference else "-"

        total = (
            row.backup_s + row.restore_s
            if row.backup_s is not None and row.restore_s is not None
            else None
        )
        base_total = (base.backup_s or 0) + (base.restore_s or 0)
        lines.append(
            f"{row.name:<34} "
            f"{f'{row.backup_s:.2f}' if row.backup_s is not None else '-':>9} "
            f"{f'{row.restore_s:.2f}' if row.restore_s is not None else '-':>10} "
            f"{ratio(row.backup_s, base.backup_s):>9} {ratio(row.restore_s, base.restore_s):>10} "
            f"{ratio(total, base_total):>8} "
            f"{f'{row.size_bytes / 1e6:.1f}' if row.size_bytes is not None else '-':>8} "
            f"{f'{row.peak_rss_mb:.0f}' if row.peak_rss_mb is not None else '-':>8}  {row.note}"
        )
    return "\n".join(lines)


def _best(rows: Sequence[Row]) -> Row:
    """Combine repeated measurements of one case: the fastest backup and restore."""
    backups = [row.backup_s for row in rows if row.backup_s is not None]
    restores = [row.restore_s for row in rows if row.restore_s is not None]
    first = rows[0]
    return Row(
        first.name,
        min(backups) if backups else None,
        min(restores) if restores else None,
        first.size_bytes,
        max(row.peak_rss_mb or 0 for row in rows),
        first.note + (f" (best of {len(rows)})" if len(rows) > 1 else ""),
    )


def run(
    report: Report = print, *, size_mb: int = 200, keep: bool = False, repeat: int = 1
) -> list[Row]:
    """Build the database, time every case (best of ``repeat``), report a table, return rows."""
    dbname = f"snap_bench_{uuid.uuid4().hex[:12]}"
    work = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
    rows: list[Row] = []
    try:
        size = create_database(dbname, size_mb, report)
        report(f"database {dbname}: {size / 1e6:.0f} MB (pg_database_size)")
        expected = _fingerprint(dbname)
        cases: list[tuple[str, Callable[[], Row], bool]] = [
            ("plain", lambda: _baseline(dbname, work, None), True),
            ("plain-Z0", lambda: _baseline(dbname, work, "0"), True),
            ("connector-Z0", lambda: _connector(dbname, work, 0), True),
            ("connector-Z6", lambda: _connector(dbname, work, 6), True),
            ("engine", lambda: _engine(dbname, work), _engine_ready()),
            ("old", lambda: _old_release(dbname, work), (OLD_VENV / "bin" / "python").exists()),
            (
                "dbbackup",
                lambda: _dbbackup(dbname, work),
                (DBBACKUP_VENV / "bin" / "python").exists(),
            ),
        ]
        for name, case, available in cases:
            if not available:
                rows.append(
                    Row(name, None, None, None, None, "not available in this checkout/machine")
                )
                continue
            measured: list[Row] = []
            for attempt in range(repeat):
                report(f"timing {name} ({attempt + 1}/{repeat}) ...")
                try:
                    row = case()
                except RuntimeError as error:
                    measured = [
                        Row(
                            name,
                            None,
                            None,
                            None,
                            None,
                            f"failed: {' '.join(str(error).split())[:160]}",
                        )
                    ]
                    break
                found = _fingerprint(dbname)
                if found != expected:
                    row = Row(
                        row.name,
                        row.backup_s,
                        row.restore_s,
                        row.size_bytes,
                        row.peak_rss_mb,
                        f"{row.note}; RESTORED DATA DIFFERS: {found} != {expected}",
                    )
                measured.append(row)
            rows.append(_best(measured))
        report(format_table(rows))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not keep:
            with _admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'.encode())


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size-mb", type=int, default=200, help="minimum database size (default 200)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per case, best kept (default 1)"
    )
    arguments = parser.parse_args()
    run(print, size_mb=arguments.size_mb, keep=arguments.keep, repeat=arguments.repeat)


if __name__ == "__main__":
    main()

"""Running a restore's importers: which run beside which, and what had finished on failure.

Importers of types that only report (environment) change nothing and run beside the
others. Importers that declare ``concurrent = True`` (media, any directory) only touch
files, so they run in a worker thread while the database loads. Every other importer
runs in the calling thread, one by one in manifest order: a database importer must use the caller's
connection (its transaction state, an in-memory test database).

When one fails, no further importer of the calling thread starts, the running ones
are waited for, and :class:`ImportFailure` says which had finished, so the restore can
put exactly those back.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from django_snapshots.artifacts.protocols import AnyArtifactImporter
from django_snapshots.artifacts.registry import artifact_type
from django_snapshots.engine.types import ProgressCallback, report, run_artifact_method
from django_snapshots.manifest import ArtifactRecord

__all__ = ["ImportFailure", "Pair", "reports_only", "run_importers", "runs_beside"]

Pair = tuple[ArtifactRecord, AnyArtifactImporter]
"""An artifact record and the importer that restores it."""


class ImportFailure(Exception):
    """An importer failed; ``done`` lists the importers that had finished before."""

    def __init__(self, error: BaseException, done: list[Pair], failed: list[Pair]) -> None:
        """Record the first ``error``, the finished pairs and the failed ones."""
        super().__init__(str(error))
        self.error: BaseException = error
        """The first failure."""
        self.done: list[Pair] = done
        """The importers (not report-only) that finished: what the restore changed."""
        self.failed: list[Pair] = failed
        """The importers that raised."""


def reports_only(record: ArtifactRecord) -> bool:
    """Return True if ``record``'s type only reports on restore and changes nothing."""
    declared = artifact_type(record.type)
    return declared is not None and declared.report_only


def runs_beside(importer: AnyArtifactImporter) -> bool:
    """Return True if ``importer`` declares it may run in a worker thread beside the others."""
    return getattr(importer, "concurrent", False) is True


def _one(
    record: ArtifactRecord,
    importer: AnyArtifactImporter,
    plain: dict[str, Path],
    progress: ProgressCallback | None,
) -> None:
    """Run one importer on its verified plain file, reporting progress."""
    report(progress, "restore", record.filename, 0, record.size)
    run_artifact_method(importer.restore, plain[record.filename])
    report(progress, "restore", record.filename, record.size, record.size)


def run_importers(
    selected: Sequence[Pair], plain: dict[str, Path], progress: ProgressCallback | None
) -> None:
    """Run every importer of ``selected`` on its plain file; raise :class:`ImportFailure`.

    ``plain`` maps each record's stored file name to its verified plain file.
    """
    done: list[Pair] = []
    failed: list[tuple[Pair, BaseException]] = []
    beside = [reports_only(record) or runs_beside(importer) for record, importer in selected]
    side = [pair for pair, flag in zip(selected, beside, strict=True) if flag]
    inline = [pair for pair, flag in zip(selected, beside, strict=True) if not flag]
    with ThreadPoolExecutor(max(1, len(side)), thread_name_prefix="snapshot-import") as pool:
        futures: list[tuple[Pair, Future[None]]] = [
            (pair, pool.submit(_one, pair[0], pair[1], plain, progress)) for pair in side
        ]
        for pair in inline:
            try:
                _one(pair[0], pair[1], plain, progress)
            except BaseException as error:  # noqa: BLE001 - handed on in ImportFailure
                failed.append((pair, error))
                for _, future in futures:
                    future.cancel()
                break
            done.append(pair)
        for pair, future in futures:
            if future.cancelled():
                continue
            problem = future.exception()
            if problem is not None:
                failed.append((pair, problem))
            elif not reports_only(pair[0]):
                done.append(pair)
    if failed:
        raise ImportFailure(failed[0][1], done, [pair for pair, _ in failed])

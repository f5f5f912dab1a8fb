"""Plain-text and machine-readable forms of listed snapshots, for the ``snapshots`` command."""

from __future__ import annotations

from typing import Any

from django_snapshots.engine import SnapshotListing

__all__ = ["listing_dict", "table"]


def listing_dict(listing: SnapshotListing) -> dict[str, Any]:
    """Return the machine-readable form of one listed snapshot."""
    if listing.snapshot is None:
        return {"name": listing.name, "format": listing.format, "error": listing.error}
    return {
        **listing.snapshot.to_dict(),
        "format": listing.format,
        "size": listing.snapshot.size,
    }


def table(rows: list[list[str]], right: set[int]) -> list[str]:
    """Return ``rows`` as aligned text lines; columns in ``right`` align right."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[column]) if column in right else cell.ljust(widths[column])
            for column, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]

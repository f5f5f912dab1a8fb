"""The ``Snapshot`` model: the admin's handle on snapshots, never holding any row.

Snapshots live in snapshot storage, not in the database. This model exists so the
admin can list them under the app and so access is governed by the ordinary
``snapshots.view_snapshot`` permission. Its table stays empty; it is a managed
model because ``dumpdata`` would otherwise fail on a missing table.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

__all__ = ["Snapshot"]


class Snapshot(models.Model):
    """Placeholder that gives snapshots a page and a permission in the admin."""

    id: models.BigAutoField[int, int] = models.BigAutoField(
        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
    )

    class Meta:
        """Only a view permission: the admin page is read-only."""

        default_permissions: ClassVar[tuple[str, ...]] = ("view",)
        verbose_name: ClassVar[str] = "snapshot"
        verbose_name_plural: ClassVar[str] = "snapshots"

    def __str__(self) -> str:
        """Return a label; rows never exist in practice."""
        return f"snapshot {self.pk}"

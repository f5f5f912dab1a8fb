"""A read-only admin page over snapshot storage: a paginated list and a detail view.

Nothing here touches the database: the pages read storage through the engine. Access
needs the ``snapshots.view_snapshot`` permission (superusers have it); nothing
can be added, changed or deleted from the admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from django_snapshots.engine import get_snapshot, list_snapshots
from django_snapshots.exceptions import SnapshotError, SnapshotNotFoundError
from django_snapshots.humanize import format_size
from django_snapshots.models import Snapshot

__all__ = ["SnapshotAdmin"]

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Snapshot]
else:  # ModelAdmin is generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin

PAGE_SIZE = 25
"""Snapshots per page of the list."""


@admin.register(Snapshot)
class SnapshotAdmin(_ModelAdmin):
    """Lists the snapshots in storage and shows one snapshot's manifest."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Refuse: snapshots are made with ``manage.py snapshots backup``."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Snapshot | None = None) -> bool:
        """Refuse: snapshots are immutable."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Snapshot | None = None) -> bool:
        """Refuse: snapshots are deleted with ``manage.py snapshots delete``."""
        return False

    def get_urls(self) -> list[URLPattern]:
        """Return the list and detail URLs only."""
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="{}_{}_changelist".format(*info),
            ),
            path(
                "<str:name>/",
                self.admin_site.admin_view(self.detail_view),
                name="{}_{}_detail".format(*info),
            ),
        ]

    def _url(self, view: str, *args: str) -> str:
        """Return the URL of this admin's ``view`` (``changelist`` or ``detail``)."""
        name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}"
        return reverse(name, args=args)

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        """Return the context every page of this admin shares."""
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": title,
            "changelist_url": self._url("changelist"),
        }

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Show one page of the snapshots in storage, newest first, unreadable ones included."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        error: str | None = None
        try:
            listings = list_snapshots()
        except SnapshotError as failure:
            listings, error = [], str(failure)
        page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("p"))
        rows = [
            {
                "name": listing.name,
                "url": self._url("detail", listing.name),
                "format": listing.format,
                "snapshot": listing.snapshot,
                "error": listing.error,
                "size": format_size(listing.snapshot.size) if listing.snapshot else "",
                "artifacts": ", ".join(a.type for a in listing.snapshot.artifacts)
                if listing.snapshot
                else "",
            }
            for listing in page.object_list
        ]
        context = {
            **self._context(request, "Snapshots"),
            "rows": rows,
            "page": page,
            "storage_error": error,
            "total": len(listings),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/snapshots/snapshot/change_list.html", context)

    def detail_view(self, request: HttpRequest, name: str) -> HttpResponse:
        """Show one snapshot: artifacts with checksums, metadata and the pip list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        error: str | None = None
        snapshot = None
        try:
            snapshot = get_snapshot(name)
        except SnapshotNotFoundError:
            raise Http404(f"no snapshot named {name!r}") from None
        except SnapshotError as failure:
            error = str(failure)
        context = {
            **self._context(request, f"Snapshot {name}"),
            "name": name,
            "snapshot": snapshot,
            "error": error,
            "size": format_size(snapshot.size) if snapshot else "",
            "artifacts": [
                {"record": record, "size": format_size(record.size)}
                for record in snapshot.artifacts
            ]
            if snapshot
            else [],
            "metadata": sorted(snapshot.metadata.items()) if snapshot else [],
        }
        return TemplateResponse(request, "admin/snapshots/snapshot/detail.html", context)

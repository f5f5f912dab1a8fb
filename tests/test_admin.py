"""The read-only admin page over snapshot storage, through Django's test client."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.models import Snapshot as SnapshotModel
from tests.management.conftest import storage_dir

__all__ = ["make_snapshot", "storage_dir"]

LIST_URL = f"/admin/{SnapshotModel._meta.app_label}/snapshot/"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def make_snapshot(
    location: Path, name: str, created_at: datetime = NOW, version: str = "1"
) -> None:
    """Write a directory-format manifest (no artifact files: listing reads only the manifest)."""
    snapshot = Snapshot(
        name=name,
        created_at=created_at,
        django_version="5.2.1",
        python_version="3.11.7",
        hostname="web-1",
        pip=["Django==5.2.1", "rich==13.9.0"],
        metadata={"release": "v42"},
        artifacts=[
            ArtifactRecord(
                type="database",
                filename="default.sql.zst",
                size=2048,
                checksum="sha256:" + "ab" * 32,
                created_at=created_at,
                metadata={"database": "default"},
            )
        ],
    )
    data = {**snapshot.to_dict(), "version": version}
    (location / name).mkdir(parents=True)
    (location / name / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def _user(username: str, *, view: bool) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    if view:
        user.user_permissions.add(Permission.objects.get(codename="view_snapshot"))
    return user


@pytest.fixture
def viewer(db: None) -> Client:
    """Return a client logged in as a staff user with the view permission."""
    client = Client()
    client.force_login(_user("viewer", view=True))
    return client


def test_anonymous_users_are_sent_to_the_login_page(db: None, storage_dir: Path) -> None:
    """The list is behind the admin login."""
    response = Client().get(LIST_URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_the_permission_is_refused(db: None, storage_dir: Path) -> None:
    """Staff without snapshots.view_snapshot get 403 on list and detail."""
    make_snapshot(storage_dir, "s1")
    client = Client()
    client.force_login(_user("nobody", view=False))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(LIST_URL + "s1/").status_code == 403


def test_list_shows_every_column(viewer: Client, storage_dir: Path) -> None:
    """The list shows name, created, format, size, artifacts, host and Django version."""
    make_snapshot(storage_dir, "s1")
    page = viewer.get(LIST_URL).content.decode()
    for text in ("s1", "2026-11-27 12:00:00", "directory", "2.0 KiB", "database", "web-1", "5.2.1"):
        assert text in page, text


def test_list_is_paginated(viewer: Client, storage_dir: Path) -> None:
    """Snapshots beyond 25 go to the next page."""
    for index in range(30):
        make_snapshot(storage_dir, f"s{index:02d}", NOW - timedelta(hours=index))
    first = viewer.get(LIST_URL).content.decode()
    second = viewer.get(LIST_URL + "?p=2").content.decode()
    assert "s00" in first and "s24" in first and "s25" not in first
    assert "s25" in second and "s29" in second and "s00" not in second
    assert "Page 2 of 2" in second


def test_unreadable_snapshots_are_shown_as_such(viewer: Client, storage_dir: Path) -> None:
    """A manifest of an unknown version is listed as unreadable, and its page says why."""
    make_snapshot(storage_dir, "future", version="99")
    page = viewer.get(LIST_URL).content.decode()
    assert "future" in page and "Unreadable" in page
    detail = viewer.get(LIST_URL + "future/")
    assert detail.status_code == 200
    assert "unreadable" in detail.content.decode()


def test_detail_shows_artifacts_metadata_and_pip(viewer: Client, storage_dir: Path) -> None:
    """The detail page lists artifacts with checksums, the metadata and the pip list."""
    make_snapshot(storage_dir, "s1")
    page = viewer.get(LIST_URL + "s1/").content.decode()
    for text in ("default.sql.zst", "sha256:" + "ab" * 32, "release", "v42", "rich==13.9.0"):
        assert text in page, text


def test_missing_snapshot_is_404(viewer: Client, storage_dir: Path) -> None:
    """An unknown snapshot name gives 404, and there is no add page."""
    assert viewer.get(LIST_URL + "nope/").status_code == 404
    assert viewer.get(LIST_URL + "add/").status_code == 404


def test_admin_index_links_the_page_read_only(viewer: Client, storage_dir: Path) -> None:
    """The admin index links the list and offers no add button."""
    page = viewer.get("/admin/").content.decode()
    assert LIST_URL in page
    assert LIST_URL + "add/" not in page

"""The admin page in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from tests.management.conftest import storage_dir
from tests.test_admin import LIST_URL, make_snapshot

__all__ = ["storage_dir"]

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Launch chromium once per module; skip without it (fail if SNAPSHOTS_REQUIRE_BROWSER=1)."""
    required = os.environ.get("SNAPSHOTS_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        if required:
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install -y chromium)")
    # Playwright's sync API runs an event loop; Django must allow ORM calls beside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _login(browser: Any, base_url: str, username: str) -> Any:
    page = browser.new_page()
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.mark.django_db(transaction=True)
def test_viewer_sees_list_and_detail(browser: Any, live_server: Any, storage_dir: Path) -> None:
    """A staff user with view permission logs in, sees the list and opens a snapshot."""
    make_snapshot(storage_dir, "nightly-1")
    make_snapshot(storage_dir, "broken", version="99")
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_snapshot"))

    page = _login(browser, live_server.url, "viewer")
    page.goto(f"{live_server.url}{LIST_URL}")
    table = page.locator("#result_list")
    assert "nightly-1" in table.inner_text()
    assert "web-1" in table.inner_text()
    assert "Unreadable" in page.locator("tr.unreadable").inner_text()

    page.click("text=nightly-1")
    page.wait_for_load_state()
    assert page.url.endswith(f"{LIST_URL}nightly-1/")
    assert "sha256:" in page.locator("#artifacts").inner_text()
    assert "rich==13.9.0" in page.locator("#pip").inner_text()
    page.close()


@pytest.mark.django_db(transaction=True)
def test_user_without_permission_is_refused(
    browser: Any, live_server: Any, storage_dir: Path
) -> None:
    """A staff user without the view permission gets 403 from the page."""
    make_snapshot(storage_dir, "nightly-1")
    User.objects.create_user("nobody", password="pw", is_staff=True)
    page = _login(browser, live_server.url, "nobody")
    response = page.goto(f"{live_server.url}{LIST_URL}")
    assert response is not None and response.status == 403
    assert "nightly-1" not in page.content()
    page.close()

"""Fixtures of the pool tests: a snapshot storage of every kind, a fast pip freeze.

To run every parametrized pool test on another storage too (the S3 server), append its
kind to ``STORAGE_KINDS`` in :mod:`tests.pool.harness` and define a fixture named
``pool_storage_<kind>`` returning an empty ``SnapshotStorage``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django_snapshots.storage.protocols import SnapshotStorage
from tests.pool.harness import STORAGE_KINDS, Harness, make_storage
from tests.pool.harness import cached_pip as cached_pip


@pytest.fixture(params=STORAGE_KINDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> SnapshotStorage:
    """Return an empty snapshot storage of each kind in turn."""
    kind = str(request.param)
    if kind in ("local", "django-fs", "django-memory"):
        return make_storage(kind, tmp_path)
    found: SnapshotStorage = request.getfixturevalue(f"pool_storage_{kind.replace('-', '_')}")
    return found


@pytest.fixture
def local_store(tmp_path: Path) -> SnapshotStorage:
    """Return an empty local snapshot storage."""
    return make_storage("local", tmp_path)


@pytest.fixture
def harness(storage: SnapshotStorage, cached_pip: None) -> Harness:
    """Return a harness over a storage of each kind, with plain pool options."""
    return Harness(storage)


@pytest.fixture
def local(local_store: SnapshotStorage, cached_pip: None) -> Harness:
    """Return a harness over a local storage."""
    return Harness(local_store)

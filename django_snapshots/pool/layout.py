"""Where a pool's objects live in the snapshot storage, and its ``config.json``.

Pools live under the reserved top-level folder ``.pool/`` (a snapshot name starts with
a letter or digit, so it can never be ``.pool``, and the snapshot scan skips it)::

    .pool/<pool>/config.json             the content-id scheme and codec, fixed at creation
    .pool/<pool>/packs/<xx>/<id>.pack    packs, fanned out by the first two hex digits
    .pool/<pool>/index/<id>.idx          index files: which blobs each pack holds
    .pool/<pool>/locks/<entry>.lock      lock entries (:mod:`django_snapshots.pool.locks`)

``<pool>`` is the :class:`~django_snapshots.pool.options.PoolOptions` name: the content
id fingerprint, plus the codec name when it is not ``identity``.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Final

from django_snapshots.exceptions import SnapshotIntegrityError, SnapshotNotFoundError
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.storeio import put
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "POOL_FOLDER",
    "PoolPaths",
    "ensure_config",
    "is_object_id",
    "list_pools",
    "read_config",
]

POOL_FOLDER: Final = ".pool"
"""The reserved top-level folder holding every pool."""

_OBJECT_ID: Final = re.compile(r"[0-9a-f]{32}")
_POOL_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CONFIG_VERSION: Final = 1


def is_object_id(text: object) -> bool:
    """Return True if ``text`` is a pack or index id (32 lowercase hex digits)."""
    return isinstance(text, str) and _OBJECT_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class PoolPaths:
    """The storage paths of one pool."""

    name: str
    """The pool's folder name under ``.pool/``."""

    def __post_init__(self) -> None:
        """Refuse a pool name that is not a plain lowercase component."""
        if _POOL_NAME.fullmatch(self.name) is None:
            raise ValueError(f"pool name {self.name!r} must be lowercase letters, digits and '-'")

    @property
    def root(self) -> str:
        """Return the pool's folder, with a trailing ``/``."""
        return f"{POOL_FOLDER}/{self.name}/"

    @property
    def config(self) -> str:
        """Return the path of ``config.json``."""
        return f"{self.root}config.json"

    @property
    def packs(self) -> str:
        """Return the folder of the packs, with a trailing ``/``."""
        return f"{self.root}packs/"

    @property
    def indexes(self) -> str:
        """Return the folder of the index files, with a trailing ``/``."""
        return f"{self.root}index/"

    @property
    def locks(self) -> str:
        """Return the folder of the lock entries, with a trailing ``/``."""
        return f"{self.root}locks/"

    def pack(self, pack_id: str) -> str:
        """Return the path of pack ``pack_id``."""
        return f"{self.packs}{pack_id[:2]}/{pack_id}.pack"

    def index(self, index_id: str) -> str:
        """Return the path of index file ``index_id``."""
        return f"{self.indexes}{index_id}.idx"

    def pack_id(self, path: str) -> str | None:
        """Return the pack id of a stored path under ``packs/``, or None if it is not one."""
        rest = path[len(self.packs) :] if path.startswith(self.packs) else ""
        fan, _, file = rest.partition("/")
        stem = file.removesuffix(".pack")
        if file.endswith(".pack") and _OBJECT_ID.fullmatch(stem) and fan == stem[:2]:
            return stem
        return None

    def index_id(self, path: str) -> str | None:
        """Return the index id of a stored path under ``index/``, or None."""
        rest = path[len(self.indexes) :] if path.startswith(self.indexes) else ""
        stem = rest.removesuffix(".idx")
        return stem if rest.endswith(".idx") and _OBJECT_ID.fullmatch(stem) else None


def _config_body(options: PoolOptions) -> dict[str, object]:
    return {
        "version": _CONFIG_VERSION,
        "ids": options.ids.name,
        "fingerprint": options.ids.fingerprint,
        "codec": options.codec.name,
    }


def read_config(storage: SnapshotStorage, paths: PoolPaths) -> dict[str, object] | None:
    """Return the pool's parsed ``config.json``, or None if the pool does not exist."""
    try:
        with storage.read(paths.config) as stream:
            raw = stream.read(64 * 1024)
    except SnapshotNotFoundError:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise SnapshotIntegrityError(f"pool config {paths.config!r} is not JSON") from None
    if not isinstance(data, dict):
        raise SnapshotIntegrityError(f"pool config {paths.config!r} is not a JSON object")
    return data  # pyright: ignore[reportUnknownVariableType]


def ensure_config(storage: SnapshotStorage, options: PoolOptions) -> PoolPaths:
    """Return the paths of the pool ``options`` designate, creating its config if new.

    An existing config must agree with ``options`` (content-id scheme, fingerprint and
    codec), else :class:`~django_snapshots.SnapshotIntegrityError` is raised.
    """
    paths = PoolPaths(options.name)
    wanted = _config_body(options)
    found = read_config(storage, paths)
    if found is None:
        body = json.dumps(wanted, indent=2, sort_keys=True).encode() + b"\n"
        put(storage, paths.config, io.BytesIO(body))
        return paths
    for key in ("ids", "fingerprint", "codec"):
        if found.get(key) != wanted[key]:
            raise SnapshotIntegrityError(
                f"pool {paths.root!r} was created with {key} {found.get(key)!r}, "
                f"not {wanted[key]!r}"
            )
    if found.get("version") != _CONFIG_VERSION:
        raise SnapshotIntegrityError(
            f"pool {paths.root!r} has config version {found.get('version')!r}; "
            f"this release reads {_CONFIG_VERSION}"
        )
    return paths


def list_pools(storage: SnapshotStorage) -> list[str]:
    """Return the names of the pools present in ``storage`` (those with a config)."""
    names: set[str] = set()
    for path in storage.list(f"{POOL_FOLDER}/"):
        parts = path.split("/")
        if len(parts) == 3 and parts[2] == "config.json" and _POOL_NAME.fullmatch(parts[1]):
            names.add(parts[1])
    return sorted(names)

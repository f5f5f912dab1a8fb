"""The content-addressed pool: media content stored once, packed, shared by snapshots.

Inside any snapshot storage (both tiers), under ``.pool/<pool>/``. Each module owns one
part: :mod:`.ids` (content ids), :mod:`.codec` (the object transform),
:mod:`.options`, :mod:`.layout` (paths, config), :mod:`.packs`, :mod:`.index`,
:mod:`.tables` (compact id tables), :mod:`.filelist` (a snapshot's media artifact),
:mod:`.source`, :mod:`.writer`, :mod:`.backup`, :mod:`.restore`, :mod:`.locks`,
:mod:`.roots` (what snapshots reference), :mod:`.gc` and :mod:`.check`. The format and
the rules are described in ``docs/media.md``.
"""

from __future__ import annotations

from django_snapshots.pool.backup import StoreStats, store_tree
from django_snapshots.pool.check import (
    PoolStatus,
    PoolVerification,
    check_pool,
    parse_subset,
    verify_pool,
)
from django_snapshots.pool.codec import IdentityCodec, PoolCodec, ZstdCodec
from django_snapshots.pool.filelist import FileEntry, FileListReader, FileListWriter
from django_snapshots.pool.gc import GarbageReport, collect_all_garbage, collect_garbage
from django_snapshots.pool.ids import ContentIds, Hasher, HmacSha256Ids, Sha256Ids
from django_snapshots.pool.layout import POOL_FOLDER, list_pools
from django_snapshots.pool.options import DEFAULT_POOL_OPTIONS, PoolOptions
from django_snapshots.pool.restore import FetchedTree, fetch_tree
from django_snapshots.pool.roots import ArtifactFetcher, fetch_plain_artifact, open_previous
from django_snapshots.pool.source import TreeSource

__all__ = [
    "DEFAULT_POOL_OPTIONS",
    "POOL_FOLDER",
    "ArtifactFetcher",
    "ContentIds",
    "FetchedTree",
    "FileEntry",
    "FileListReader",
    "FileListWriter",
    "GarbageReport",
    "Hasher",
    "HmacSha256Ids",
    "IdentityCodec",
    "PoolCodec",
    "PoolOptions",
    "PoolStatus",
    "PoolVerification",
    "Sha256Ids",
    "StoreStats",
    "TreeSource",
    "ZstdCodec",
    "check_pool",
    "collect_all_garbage",
    "collect_garbage",
    "fetch_plain_artifact",
    "fetch_tree",
    "list_pools",
    "open_previous",
    "parse_subset",
    "store_tree",
    "verify_pool",
]

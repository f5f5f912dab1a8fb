"""Safe tar writing and extraction: every escape is refused, on every Python."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.safetar import TreeWriter, extract_tree, tree_path_parts, write_tree


def _member(
    name: str,
    kind: bytes = tarfile.REGTYPE,
    data: bytes = b"",
    linkname: str = "",
    mode: int = 0o644,
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def _tar(path: Path, *members: tuple[tarfile.TarInfo, bytes], root: str | None = "media") -> Path:
    """Write a tar by hand: an optional root directory entry, then ``members`` in order."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        if root is not None:
            tar.addfile(_member(root, tarfile.DIRTYPE, mode=0o755)[0])
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """An empty extraction directory inside a parent that holds a 'secret' file."""
    (tmp_path / "secret.txt").write_text("keep me")
    extraction = tmp_path / "box" / "inner"
    extraction.mkdir(parents=True)
    return extraction


def _outside_untouched(tmp_path: Path) -> None:
    assert (tmp_path / "secret.txt").read_text() == "keep me"
    names = {p.name for p in tmp_path.rglob("*")}
    assert "pwned" not in names


def test_symlink_chain_escape_is_refused(tmp_path: Path, target: Path) -> None:
    """Links pointing at each other and at parents cannot carry a write outside the target.

    0.1.0b1 extracts this archive on Python 3.11.7 and writes ``pwned`` beside MEDIA_ROOT.
    """
    archive = _tar(
        tmp_path / "chain.tar",
        # Each link looks local when read alone; followed in turn they climb out.
        _member("media/x", tarfile.SYMTYPE, linkname="."),
        _member("media/x/p", tarfile.SYMTYPE, linkname=".."),
        _member("media/p/x", tarfile.SYMTYPE, linkname="."),
        _member("media/p/x/q", tarfile.SYMTYPE, linkname=".."),
        _member("media/p/x/q/pwned", data=b"escaped"),
    )
    with pytest.raises(SnapshotIntegrityError, match="media/"):
        extract_tree(archive, target)
    _outside_untouched(tmp_path)


def test_symlink_chain_resolving_outside_is_refused_even_without_writes(
    tmp_path: Path, target: Path
) -> None:
    """A chain whose links each look local but together leave the tree is refused."""
    archive = _tar(
        tmp_path / "chain.tar",
        _member("media/d", tarfile.DIRTYPE, mode=0o755),
        _member("media/d/e", tarfile.SYMTYPE, linkname="."),
        _member("media/l1", tarfile.SYMTYPE, linkname="d/e/e/e"),
        _member("media/d/e2", tarfile.SYMTYPE, linkname="../.."),
    )
    with pytest.raises(SnapshotIntegrityError, match="media/d/e2"):
        extract_tree(archive, target)


def test_links_resolving_through_later_links_are_checked_at_the_end(
    tmp_path: Path, target: Path
) -> None:
    """A link that is harmless when created but escapes once a later link exists is refused."""
    archive = _tar(
        tmp_path / "late.tar",
        # Lexically "d/s/../.." is the root; really d/s is the root, so it climbs twice.
        _member("media/k", tarfile.SYMTYPE, linkname="d/s/../.."),
        _member("media/d", tarfile.DIRTYPE, mode=0o755),
        _member("media/d/s", tarfile.SYMTYPE, linkname=".."),
    )
    with pytest.raises(SnapshotIntegrityError, match="'media/k' links outside"):
        extract_tree(archive, target)


def test_hardlink_to_a_file_outside_is_refused(tmp_path: Path, target: Path) -> None:
    """A hard link naming a path outside the archive root cannot link the outside file."""
    archive = _tar(
        tmp_path / "hard.tar",
        _member("media/copy", tarfile.LNKTYPE, linkname="../../secret.txt"),
    )
    with pytest.raises(SnapshotIntegrityError, match="media/copy"):
        extract_tree(archive, target)
    assert not (target / "copy").exists()


def test_hardlink_through_a_symlink_is_refused(tmp_path: Path, target: Path) -> None:
    """A hard link whose source path passes through a symlink is refused."""
    archive = _tar(
        tmp_path / "hard.tar",
        _member("media/dir", tarfile.SYMTYPE, linkname="."),
        _member("media/data", data=b"inside"),
        _member("media/copy", tarfile.LNKTYPE, linkname="media/dir/data"),
    )
    with pytest.raises(SnapshotIntegrityError, match="media/copy"):
        extract_tree(archive, target)


def test_hardlink_inside_is_extracted_as_a_file(tmp_path: Path, target: Path) -> None:
    """A hard link to an earlier regular member becomes a file with the same content."""
    archive = _tar(
        tmp_path / "hard.tar",
        _member("media/data", data=b"inside"),
        _member("media/copy", tarfile.LNKTYPE, linkname="media/data"),
    )
    extract_tree(archive, target)
    assert (target / "copy").read_bytes() == b"inside"


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos_are_refused(tmp_path: Path, target: Path, kind: bytes) -> None:
    """Character and block devices and FIFOs raise naming the member."""
    archive = _tar(tmp_path / "dev.tar", _member("media/dev", kind))
    with pytest.raises(SnapshotIntegrityError, match=r"'media/dev'.*special"):
        extract_tree(archive, target)


def test_setuid_setgid_and_sticky_bits_are_dropped(tmp_path: Path, target: Path) -> None:
    """Special mode bits never reach the extracted files or directories."""
    archive = _tar(
        tmp_path / "mode.tar",
        _member("media/tool", data=b"#!/bin/sh\n", mode=0o6755),
        _member("media/shared", tarfile.DIRTYPE, mode=0o1777),
    )
    extract_tree(archive, target)
    assert stat.S_IMODE((target / "tool").stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "shared").stat().st_mode) == 0o777


@pytest.mark.parametrize("name", ["/etc/pwned", "media/../../pwned", "media/a/../../../pwned"])
def test_absolute_names_and_dotdot_are_refused(tmp_path: Path, target: Path, name: str) -> None:
    """A member named absolutely or climbing with '..' raises naming it."""
    archive = _tar(tmp_path / "names.tar", _member(name, data=b"x"))
    with pytest.raises(SnapshotIntegrityError, match=f"'{name}'"):
        extract_tree(archive, target)
    _outside_untouched(tmp_path)


@pytest.mark.parametrize("linkname", ["/etc", "../x", "sub/../../x"])
def test_symlinks_leaving_the_tree_are_refused(tmp_path: Path, target: Path, linkname: str) -> None:
    """An absolute link or one climbing out of the root raises."""
    archive = _tar(tmp_path / "link.tar", _member("media/l", tarfile.SYMTYPE, linkname=linkname))
    with pytest.raises(SnapshotIntegrityError, match="'media/l'"):
        extract_tree(archive, target)


def test_write_through_a_symlink_to_a_directory_is_refused(tmp_path: Path, target: Path) -> None:
    """Even a link to a directory inside the tree is never written through."""
    archive = _tar(
        tmp_path / "through.tar",
        _member("media/real", tarfile.DIRTYPE, mode=0o755),
        _member("media/alias", tarfile.SYMTYPE, linkname="real"),
        _member("media/alias/file", data=b"x"),
    )
    with pytest.raises(SnapshotIntegrityError, match="'media/alias/file'"):
        extract_tree(archive, target)


def test_members_outside_the_top_level_directory_are_refused(tmp_path: Path, target: Path) -> None:
    """Every member must live under the archive's single top-level directory."""
    archive = _tar(tmp_path / "two.tar", _member("other/file", data=b"x"))
    with pytest.raises(SnapshotIntegrityError, match="'other/file'"):
        extract_tree(archive, target)


def test_duplicate_files_are_refused(tmp_path: Path, target: Path) -> None:
    """A second member of the same name cannot replace the first (or a link to it)."""
    archive = _tar(
        tmp_path / "dup.tar",
        _member("media/f", tarfile.SYMTYPE, linkname="g"),
        _member("media/f", data=b"x"),
    )
    with pytest.raises(SnapshotIntegrityError, match="appears twice"):
        extract_tree(archive, target)


def test_garbage_is_an_integrity_error(tmp_path: Path, target: Path) -> None:
    """A file that is not a tar raises an integrity error naming it."""
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(SnapshotIntegrityError, match=r"bogus.tar"):
        extract_tree(bogus, target)


def test_missing_directory_entries_are_created(tmp_path: Path, target: Path) -> None:
    """An archive listing a file but not its parent directories still extracts it."""
    archive = _tar(tmp_path / "flat.tar", _member("media/a/b/c.txt", data=b"deep"))
    extract_tree(archive, target)
    assert (target / "a" / "b" / "c.txt").read_bytes() == b"deep"


def test_empty_archive_extracts_nothing(tmp_path: Path, target: Path) -> None:
    """An archive without members (0.1.0b1's archive of a missing directory) is empty."""
    archive = _tar(tmp_path / "empty.tar", root=None)
    extract_tree(archive, target)
    assert list(target.iterdir()) == []


def _tree(root: Path) -> dict[str, str]:
    result: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            result[relative] = "-> " + os.readlink(path)
        elif path.is_dir():
            result[relative] = f"dir {stat.S_IMODE(path.stat().st_mode):o}"
        else:
            result[relative] = path.read_bytes().decode("utf-8", "replace")
    return result


def test_write_then_extract_round_trips_files_dirs_and_inner_links(tmp_path: Path) -> None:
    """Files, nested and empty directories and links inside the tree survive a round trip."""
    source = tmp_path / "source"
    (source / "nested" / "deep").mkdir(parents=True)
    (source / "empty").mkdir()
    (source / "café menu.txt").write_text("soupe")
    (source / "nested" / "deep" / "data.bin").write_bytes(bytes(range(256)) * 10)
    (source / "nested" / "up").symlink_to("../café menu.txt")
    (source / "dangling").symlink_to("missing")
    archive = tmp_path / "out.tar"
    with archive.open("wb") as out:
        assert write_tree(source, out, "media") == 0
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    extract_tree(archive, extracted)
    assert _tree(extracted) == _tree(source)


def test_writer_skips_links_leaving_the_tree_and_special_files(tmp_path: Path) -> None:
    """Links pointing outside (directly or by chain) and FIFOs are not archived."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "ok.txt").write_text("ok")
    (source / "abs").symlink_to(tmp_path / "source" / "ok.txt")
    (source / "out").symlink_to("../outside")
    (source / "hop").symlink_to("hop2")
    (source / "hop2").symlink_to("..")
    os.mkfifo(source / "pipe")
    archive = tmp_path / "out.tar"
    with archive.open("wb") as out:
        assert write_tree(source, out, "media") == 5
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["media", "media/ok.txt"]


def test_writer_output_is_deterministic_and_anonymous(tmp_path: Path) -> None:
    """Two archives of the same tree are byte-identical, sorted, with no owner names."""
    source = tmp_path / "source"
    (source / "b").mkdir(parents=True)
    for name in ("z", "a", "m"):
        (source / "b" / name).write_text(name)
    (source / "a.txt").write_text("a")
    outputs: list[bytes] = []
    for _ in range(2):
        buffer = io.BytesIO()
        write_tree(source, buffer, "media")
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
    with tarfile.open(fileobj=io.BytesIO(outputs[0])) as tar:
        assert tar.getnames() == [
            "media",
            "media/a.txt",
            "media/b",
            "media/b/a",
            "media/b/m",
            "media/b/z",
        ]
        assert {(m.uid, m.gid, m.uname, m.gname) for m in tar.getmembers()} == {(0, 0, "", "")}


def test_missing_directory_archives_as_empty(tmp_path: Path) -> None:
    """A directory that does not exist is archived as an empty top-level directory."""
    buffer = io.BytesIO()
    write_tree(tmp_path / "absent", buffer, "media")
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as tar:
        assert tar.getnames() == ["media"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/abs", "absolute"),
        ("\\share\\x", "absolute"),
        ("C:evil", "absolute"),
        ("a/../b", "leaves"),
        ("a\\b", "leaves"),
        ("a\0b", "leaves"),
        ("./", "empty"),
    ],
)
def test_tree_path_rule_refuses_unsafe_names(name: str, message: str) -> None:
    """The one path rule (tar members, file lists, storage keys) refuses escapes."""
    with pytest.raises(SnapshotIntegrityError, match=message):
        tree_path_parts(name, "entry")


def test_tree_path_rule_drops_empty_and_dot_components() -> None:
    """Harmless '' and '.' components are dropped from an otherwise safe name."""
    assert tree_path_parts("./a//b/.") == ("a", "b")


def test_tree_writer_creates_files_dirs_and_links_and_refuses_escapes(tmp_path: Path) -> None:
    """The writer sets modes and times, refuses duplicates, writes through no link."""
    writer = TreeWriter(tmp_path, "entry")
    writer.directory(("d",), 0o750, 1_000_000_000_000_000_000, "d")
    assert writer.file(("d", "f"), [b"ab", b"c"], 0o4755, 5_000_000_000, "d/f") == 3
    writer.symlink(("l",), "d", "l")
    with pytest.raises(SnapshotIntegrityError, match="appears twice"):
        writer.file(("d", "f"), [b""], 0o644, None, "d/f")
    with pytest.raises(SnapshotIntegrityError, match="through a link"):
        writer.file(("l", "x"), [b"x"], 0o644, None, "l/x")
    with pytest.raises(SnapshotIntegrityError, match="outside"):
        writer.symlink(("up",), "../..", "up")
    writer.finish()
    assert (tmp_path / "d" / "f").read_bytes() == b"abc"
    assert stat.S_IMODE((tmp_path / "d" / "f").stat().st_mode) == 0o755
    assert (tmp_path / "d" / "f").stat().st_mtime_ns == 5_000_000_000
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o750


"""The lower bound: SQLite backup API + tar + zstd + sha256, nothing else."""
import hashlib, os, shutil, sqlite3, sys, tarfile, tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import zstandard

project, store = Path(sys.argv[2]), Path(sys.argv[3])
CHUNK = 1 << 20

class Hashing:
    def __init__(self, out):
        self.out, self.hash = out, hashlib.sha256()
    def write(self, data):
        self.hash.update(data)
        return self.out.write(data)

def compress(source, target):
    with open(target, "wb") as raw:
        sink = Hashing(raw)
        with zstandard.ZstdCompressor(level=3, threads=-1).stream_writer(sink, closefd=False) as z:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                z.write(chunk)
    return sink.hash.hexdigest()

def backup_db():
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch, "db.sqlite3")
        src, dst = sqlite3.connect(project / "db.sqlite3"), sqlite3.connect(copy)
        src.backup(dst)
        dst.close(); src.close()
        with open(copy, "rb") as source:
            return compress(source, store / "db.sqlite3.zst")

def backup_media():
    with open(store / "media.tar.zst", "wb") as raw:
        sink = Hashing(raw)
        with zstandard.ZstdCompressor(level=3, threads=-1).stream_writer(sink, closefd=False) as z:
            with tarfile.open(fileobj=z, mode="w|") as tar:
                tar.add(project / "media", arcname="media")
    return sink.hash.hexdigest()

def fetch(name, dest):
    digest = hashlib.sha256()
    with open(store / name, "rb") as source, open(dest, "wb") as out:
        with zstandard.ZstdDecompressor().stream_writer(out, closefd=False) as z:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                z.write(chunk)
    assert digest.hexdigest() == (store / (name + ".sha256")).read_text()

if sys.argv[1] == "backup":
    store.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(2) as pool:
        db, media = pool.submit(backup_db), pool.submit(backup_media)
        (store / "db.sqlite3.zst.sha256").write_text(db.result())
        (store / "media.tar.zst.sha256").write_text(media.result())
else:
    with tempfile.TemporaryDirectory(dir=project) as scratch:
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(fetch, "db.sqlite3.zst", Path(scratch, "db.sqlite3")),
                    pool.submit(fetch, "media.tar.zst", Path(scratch, "media.tar"))]
            for job in jobs:
                job.result()
        # Into the live database, in one step, as any safe restore must (not a rename).
        src, dst = sqlite3.connect(Path(scratch, "db.sqlite3")), sqlite3.connect(project / "db.sqlite3")
        src.backup(dst)
        dst.close(); src.close()
        staging = Path(scratch, "extract")
        with tarfile.open(Path(scratch, "media.tar")) as tar:
            tar.extractall(staging, filter="data")
        old = Path(scratch, "old-media")
        os.replace(project / "media", old)
        os.replace(staging / "media", project / "media")

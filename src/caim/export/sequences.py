"""Large files made of one piece per record (records.json, records.jsonl, the CSV files, the list downloads),
written so that an incremental export can rebuild them from the pieces that changed (SPEC §8).

A sequence file is `prefix + piece_1 + sep + piece_2 + ... + suffix`, one piece per record in the file's order.
Its gzip copy is one gzip member whose deflate stream is cut into independent chunks: each chunk is compressed by
a fresh compressor and ends on a byte boundary (a sync flush), so a chunk can be copied from the previous export
as it is. Chunk boundaries depend only on the records at them (content-defined, about CHUNK_RECORDS records per
chunk), so changing, adding or removing one record recompresses one chunk and copies the others; the prefix and
the suffix (which hold `generated_at`) are chunks of their own. Any gzip reader reads the result: it is a valid
single-member gzip file.

The layout of each file (piece lengths, chunk sizes) is kept in the export's manifest; without it, or when it
does not match the file on disk, the file is built from scratch.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

CHUNK_RECORDS = 64
GZIP_HEADER = (
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, best compression, OS unknown
)


def is_boundary(record_id: int) -> bool:
    """Whether a chunk of the gzip copy ends after this record's piece (about one record in CHUNK_RECORDS)."""
    return (record_id * 2654435761) % (1 << 32) % CHUNK_RECORDS == 0


def deflate_chunk(data: bytes) -> bytes:
    """Raw deflate of `data` at level 9, ending on a byte boundary, with no reference to anything before it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


FINAL_BLOCK = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last block


@dataclass
class Layout:
    """Where the pieces and the chunks of a written sequence file are (kept in the manifest)."""

    prefix: int  # length of the prefix
    suffix: int
    pieces: list[tuple[int, int]]  # (record id, length of its segment: separator + piece) in file order
    chunks: list[tuple[int, int]]  # (number of segments, compressed length); the first is the prefix alone

    def as_json(self) -> dict:
        return {"prefix": self.prefix, "suffix": self.suffix, "pieces": self.pieces, "chunks": self.chunks}

    @classmethod
    def from_json(cls, data: dict) -> Layout:
        return cls(data["prefix"], data["suffix"], [tuple(p) for p in data["pieces"]],
                   [tuple(c) for c in data["chunks"]])  # fmt: skip

    @property
    def plain_size(self) -> int:
        return self.prefix + sum(length for _pk, length in self.pieces) + self.suffix


@dataclass
class Written:
    plain: bytes
    packed: bytes
    layout: Layout
    recompressed: int  # chunks compressed in this run (the others were copied)


def build(
    prefix: bytes,
    suffix: bytes,
    sep: bytes,
    order: list[int],
    piece: Callable[[int], bytes | None],
    old: tuple[Layout, bytes, bytes] | None = None,
    threads: int = 1,
) -> Written:
    """The file and its gzip copy. `piece(pk)` gives a record's new piece, or None to keep the piece of the
    previous file (`old`: its layout, plain bytes and gzip bytes), which must then hold it."""
    old_segments: dict[int, tuple[int, int, bool]] = {}  # pk -> (offset, length, had a separator)
    old_chunks: dict[tuple, tuple[int, int]] = {}  # ids of a chunk -> (offset, length) in the old gzip copy
    if old is not None:
        layout, old_plain, old_packed = old
        offset = layout.prefix
        for i, (pk, length) in enumerate(layout.pieces):
            old_segments[pk] = (offset, length, i > 0)
            offset += length
        at, position = len(GZIP_HEADER) + layout.chunks[0][1], 0
        for count, size in layout.chunks[1:-1]:
            ids = tuple(pk for pk, _length in layout.pieces[position : position + count])
            old_chunks[ids] = (at, size)
            at += size
            position += count
    segments: list[bytes] = []
    fresh: list[bool] = []
    for i, pk in enumerate(order):
        new = piece(pk)
        if new is None:
            offset, length, had_sep = old_segments[pk]
            segment = old_plain[offset : offset + length]
            if had_sep != (i > 0):  # the record moved to or from the head of the file: its separator changes
                segment = (sep + segment) if i > 0 else segment[len(sep) :]
                fresh.append(True)
            else:
                fresh.append(False)
        else:
            segment = (sep if i > 0 else b"") + new
            fresh.append(True)
        segments.append(segment)
    # Chunks: the prefix, then runs of segments ending at a boundary record, then the suffix.
    groups: list[tuple[int, int]] = []  # (start, stop) indexes into segments
    start = 0
    for i, pk in enumerate(order):
        if is_boundary(pk) or i == len(order) - 1:
            groups.append((start, i + 1))
            start = i + 1
    jobs: list[bytes | tuple[int, int]] = [prefix]
    for start, stop in groups:
        ids = tuple(order[start:stop])
        reusable = old is not None and ids in old_chunks and not any(fresh[start:stop])
        jobs.append(old_chunks[ids] if reusable else b"".join(segments[start:stop]))
    jobs.append(suffix)
    to_compress = [job for job in jobs if isinstance(job, bytes)]
    if threads > 1 and len(to_compress) > 1:  # zlib releases the GIL: chunks compress in parallel
        with ThreadPoolExecutor(threads) as pool:
            compressed = iter(list(pool.map(deflate_chunk, to_compress)))
    else:
        compressed = iter([deflate_chunk(job) for job in to_compress])
    packed_chunks = []
    for job in jobs:
        if isinstance(job, bytes):
            packed_chunks.append(next(compressed))
        else:
            at, size = job
            packed_chunks.append(old[2][at : at + size])
    plain = b"".join([prefix, *segments, suffix])
    trailer = struct.pack("<II", zlib.crc32(plain), len(plain) & 0xFFFFFFFF)
    packed = b"".join([GZIP_HEADER, *packed_chunks, FINAL_BLOCK, trailer])
    chunk_counts = [0] + [stop - start for start, stop in groups] + [0]
    layout = Layout(
        prefix=len(prefix),
        suffix=len(suffix),
        pieces=[(pk, len(segment)) for pk, segment in zip(order, segments, strict=True)],
        chunks=[(count, len(chunk)) for count, chunk in zip(chunk_counts, packed_chunks, strict=True)],
    )
    return Written(plain, packed, layout, len(to_compress))


def stamp(out: Path, path: str) -> list[int]:
    """[size, mtime in ns] of a sequence file and of its gzip copy, as written: kept with the layout, they
    tell the next export that the files are still as written without hashing hundreds of megabytes."""
    plain, packed = (out / path).stat(), (out / f"{path}.gz").stat()
    return [plain.st_size, plain.st_mtime_ns, packed.st_size, packed.st_mtime_ns]


def read_old(out: Path, path: str, layout_json: dict | None, sha256: str | None) -> tuple | None:
    """(layout, plain bytes, gzip bytes) of a sequence file of the previous export, if it is intact: its stamp
    unchanged, or (copied elsewhere, say) its plain bytes hashing as the manifest says."""
    if not layout_json:
        return None
    plain_path, packed_path = out / path, out / f"{path}.gz"
    if not plain_path.is_file() or not packed_path.is_file():
        return None
    plain = plain_path.read_bytes()
    unstamped = layout_json.get("stamp") != stamp(out, path)
    if unstamped and sha256 and hashlib.sha256(plain).hexdigest() != sha256:
        return None  # changed by hand since: rebuild
    layout = Layout.from_json(layout_json)
    if layout.plain_size != len(plain):
        return None
    return layout, plain, packed_path.read_bytes()

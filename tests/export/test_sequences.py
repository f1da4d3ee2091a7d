"""The large per-record files of the static export: rebuilt from the pieces that changed, they are byte for byte
what a full build writes, and their gzip copies are ordinary gzip files."""

from __future__ import annotations

import gzip
import json
import random
import zlib

from caim.export import sequences


def pieces_of(ids, seed=1) -> dict[int, bytes]:
    rng = random.Random(seed)
    return {pk: json.dumps({"id": pk, "text": "word " * rng.randint(1, 200)}).encode() for pk in ids}


def build(order, pieces, meta=b"1", old=None, fresh=None):
    prefix, suffix = b'{"meta":' + meta + b',"records":[', b"]}\n"
    if old is None:
        return sequences.build(prefix, suffix, b",", order, pieces.__getitem__)
    return sequences.build(
        prefix, suffix, b",", order, lambda pk: pieces[pk] if pk in fresh else None, old=old
    )


def test_a_full_build_is_valid_json_and_gzip():
    order = list(range(1, 2000))
    built = build(order, pieces_of(order))
    assert [r["id"] for r in json.loads(built.plain)["records"]] == order
    assert gzip.decompress(built.packed) == built.plain
    assert zlib.decompress(built.packed, 16 + zlib.MAX_WBITS) == built.plain
    assert len(built.layout.chunks) > 10 and built.layout.plain_size == len(built.plain)


def test_changes_insertions_removals_and_moves_give_the_bytes_of_a_full_build():
    order = list(range(1, 3000))
    pieces = pieces_of(order)
    first = build(order, pieces)
    previous = (first.layout, first.plain, first.packed)
    new_order = [0] + [pk for pk in order if pk not in (700, 1500)] + [5000]
    new_order.remove(42)
    new_order.insert(2500, 42)  # a record moved
    pieces.update({0: b'{"id":0}', 5000: b'{"id":5000}', 1: b'{"id":1,"changed":true}', 2222: b'{"id":2222}'})
    fresh = {0, 5000, 1, 2222}
    spliced = build(new_order, pieces, b"2", old=previous, fresh=fresh)
    whole = build(new_order, pieces, b"2")
    assert spliced.plain == whole.plain and spliced.packed == whole.packed
    assert gzip.decompress(spliced.packed) == whole.plain
    assert spliced.recompressed < len(spliced.layout.chunks) / 3  # most chunks were copied, not compressed


def test_an_unchanged_file_is_copied_chunk_for_chunk():
    order = list(range(1, 1000))
    pieces = pieces_of(order)
    first = build(order, pieces)
    again = build(order, pieces, old=(first.layout, first.plain, first.packed), fresh=set())
    assert again.plain == first.plain and again.packed == first.packed
    assert again.recompressed == 2  # the prefix and the suffix only


def test_the_previous_file_is_trusted_by_its_stamp_and_otherwise_by_its_hash(tmp_path):
    """read_old: a file as written (its size and time unchanged) is read without hashing it; one changed by hand,
    even to the same size, is refused; one copied elsewhere (a new time) is read after its hash is checked."""
    import hashlib
    import os
    import shutil

    order = list(range(1, 300))
    built = build(order, pieces_of(order))
    (tmp_path / "api").mkdir()
    (tmp_path / "api/records.json").write_bytes(built.plain)
    (tmp_path / "api/records.json.gz").write_bytes(built.packed)
    layout = {**built.layout.as_json(), "stamp": sequences.stamp(tmp_path, "api/records.json")}
    sha = hashlib.sha256(built.plain).hexdigest()

    read = sequences.read_old(tmp_path, "api/records.json", layout, sha)
    assert read is not None and read[1] == built.plain and read[2] == built.packed
    assert (
        sequences.read_old(tmp_path, "api/records.json", layout, "0" * 64) is not None
    )  # the stamp sufficed

    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "api", copy / "api")  # new times: the hash decides
    os.utime(copy / "api/records.json", ns=(1, 1))
    assert sequences.read_old(copy, "api/records.json", layout, sha) is not None
    assert sequences.read_old(copy, "api/records.json", layout, "0" * 64) is None

    edited = built.plain.replace(b'"id": 5,', b'"id": 6,', 1)  # the same size
    assert len(edited) == len(built.plain) and edited != built.plain
    (tmp_path / "api/records.json").write_bytes(edited)
    os.utime(tmp_path / "api/records.json", ns=(2, 2))
    assert sequences.read_old(tmp_path, "api/records.json", layout, sha) is None

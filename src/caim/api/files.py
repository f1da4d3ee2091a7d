"""Large corpus files, written once per state of the public layer and then served from disk.

Building records.json reads every public record (seconds at 10,000 records), and streaming it to a slow client
would hold a worker for as long as the client reads. Instead the first request after a publication writes the
file (and a gzip copy) under CAIM_CORPUS_DIR, named by the public-layer token; every other request is a file
sent by the server (sendfile), compressed when the client accepts it. Concurrent first requests wait for one
writer instead of all building the same file.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.cache import patch_vary_headers

from caim.records.models import PublicState


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    gzip_path: Path
    token: str

    @property
    def etag(self) -> str:
        return f'"{self.token}"'


def corpus_dir() -> Path:
    folder = Path(settings.CAIM_CORPUS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _locked(folder: Path, name: str):
    with (folder / f".{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def current_file(name: str, build: Callable[[], Iterable[str]], token: str | None = None) -> CorpusFile:
    """The file `name` for the public layer in state `token` (default: now), written by `build` (pieces of
    text) if it is missing."""
    token = token or PublicState.current() or "empty"
    folder = corpus_dir()
    found = CorpusFile(folder / f"{name}.{token}.json", folder / f"{name}.{token}.json.gz", token)
    if found.gzip_path.exists():  # written last: its presence means both are complete
        return found
    with _locked(folder, name):
        if not found.gzip_path.exists():
            _write(found, build)
            for old in folder.glob(f"{name}.*.json*"):
                if old not in (found.path, found.gzip_path):
                    old.unlink(missing_ok=True)
    return found


def _write(target: CorpusFile, build: Callable[[], Iterable[str]]) -> None:
    partial = target.path.with_name(target.path.name + f".{os.getpid()}.part")
    with partial.open("w", encoding="utf-8") as out:
        for piece in build():
            out.write(piece)
    partial_gz = target.gzip_path.with_name(target.gzip_path.name + f".{os.getpid()}.part")
    with partial.open("rb") as plain, gzip.open(partial_gz, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(plain, packed, 1 << 20)
    os.replace(partial, target.path)
    os.replace(partial_gz, target.gzip_path)


def accepts_gzip(request) -> bool:
    return any(
        part.split(";")[0].strip() in ("gzip", "*")
        for part in request.headers.get("Accept-Encoding", "").split(",")
    )


def file_response(request, corpus_file: CorpusFile, content_type: str) -> FileResponse:
    """The file, gzipped when the client accepts it; the server sends it without Python reading it."""
    if accepts_gzip(request):
        response = FileResponse(corpus_file.gzip_path.open("rb"), content_type=content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = FileResponse(corpus_file.path.open("rb"), content_type=content_type)
    patch_vary_headers(response, ["Accept-Encoding"])
    return response

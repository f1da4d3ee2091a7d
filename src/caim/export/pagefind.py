"""Search without a server for the static export (SPEC §8): a Pagefind index of the record pages, and a static
search page that queries it in the browser.

Only the current page of each listed record is indexed, in both languages (Pagefind makes one index per
`<html lang>`). The export marks the record's body with `data-pagefind-body` in the written file only (the live
templates are unchanged): pages without the mark (lists, earlier versions, withdrawn records, redirects) are not
indexed. The binary comes from the `pagefind[bin]` package.

A full export builds `/pagefind/`. An incremental export cannot update that index in place (Pagefind rebuilds
a whole index), and rebuilding it takes far longer than the rest of an incremental run; so it builds a small
second index, `/pagefind-delta/`, from the pages of every record changed since the last full export, and lists
their addresses in `/search/delta.json`. The search script merges the two indexes and drops the main index's
hits on those addresses. The next full export folds the delta back into the main index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import override

BUNDLE = "pagefind"
DELTA_BUNDLE = "pagefind-delta"
DELTA_STATE = "search/delta.json"
SEARCH_SCRIPT = "static/caim-export/search.js"
LIST_SCRIPT = "static/caim-export/lists.js"
RECORD_BODY = re.compile(rb'<article class="record ')
MARK = b'<article data-pagefind-body class="record '
DELTA_MARK = b'<article data-pagefind-body data-pagefind-meta="delta:1" class="record '


def executable() -> str | None:
    """The Pagefind binary of the `pagefind[bin]` package, or one on the PATH."""
    try:
        from pagefind_bin import get_executable

        return str(get_executable())
    except (ImportError, FileNotFoundError):
        return shutil.which("pagefind")


# Sections of the record page that are not the record's own words: other records' titles and summaries (linked,
# related), the citation, the changelog, other databases' ids. Left out of the index, a search finds a record by
# what it says, not by what it is listed beside; and the index is made a fifth faster (measured).
UNINDEXED = [
    (
        b'<section aria-labelledby="h-' + name + b'"',
        b'<section data-pagefind-ignore aria-labelledby="h-' + name + b'"',
    )
    for name in (b"linked", b"related", b"cite", b"changelog", b"other")
]


def mark_body(html: bytes, delta: bool = False) -> bytes:
    """The record page with its record marked as the part Pagefind indexes, and the sections it leaves out."""
    html = RECORD_BODY.sub(DELTA_MARK if delta else MARK, html, count=1)
    for section, ignored in UNINDEXED:
        html = html.replace(section, ignored, 1)
    return html


def unmark(html: bytes) -> bytes:
    """The page as the live site serves it (the inverse of mark_body)."""
    for section, ignored in UNINDEXED:
        html = html.replace(ignored, section, 1)
    return html.replace(MARK, b'<article class="record ', 1)


def start_main_index(out: Path, staging: Path) -> subprocess.Popen | None:
    """Index the record pages of `out` into `staging/pagefind/`, in the background (returns the process);
    `finish` puts the index in its place, so that a killed export never leaves half an index."""
    binary = executable()
    if binary is None:
        return None
    shutil.rmtree(staging / BUNDLE, ignore_errors=True)
    # A record's slug has a letter (records.changes.SLUG_RE): the folders of numeric ids, redirect pages, are not
    # read at all.
    glob = "{incidents,hazards,fr/incidents,fr/hazards}/*[a-z]*/index.html"
    return subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
        [binary, "--site", str(out), "--glob", glob, "--output-path", str(staging / BUNDLE), "--silent"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish(process: subprocess.Popen | None, out: Path, staging: Path) -> str:
    """Wait for the index and move it to `out/pagefind/`; "" when it was written, else why not (and no index)."""
    shutil.rmtree(out / BUNDLE, ignore_errors=True)
    if process is None:
        return "the Pagefind binary is not installed (pip install 'pagefind[bin]')"
    output, _unused = process.communicate()
    if process.returncode != 0:
        return f"pagefind failed: {output.decode(errors='replace')[-2000:]}"
    os.replace(staging / BUNDLE, out / BUNDLE)
    return ""


def build_delta(out: Path, pages: list[tuple[str, bytes]], staging: Path) -> str:
    """The delta index from (URL, marked page) pairs, written in `staging` and then moved in place; "" when
    written (or when there is nothing to index)."""
    target = out / DELTA_BUNDLE
    shutil.rmtree(target, ignore_errors=True)
    if not pages:
        return ""
    binary = executable()
    if binary is None:
        return "the Pagefind binary is not installed (pip install 'pagefind[bin]')"
    with tempfile.TemporaryDirectory(prefix="caim-pagefind-") as pages_folder:
        for url, html in pages:  # the pages at their own addresses, so that the index links them there
            page = Path(pages_folder) / url.strip("/") / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_bytes(html)
        done = subprocess.run(  # noqa: S603 - a fixed binary and arguments
            [binary, "--site", pages_folder, "--output-path", str(staging / DELTA_BUNDLE), "--silent"],
            capture_output=True,
            check=False,
        )
    if done.returncode != 0:
        return f"pagefind failed: {(done.stdout + done.stderr).decode(errors='replace')[-2000:]}"
    os.replace(staging / DELTA_BUNDLE, target)
    return ""


def delta_state(bundle: bool, superseded: list[str]) -> bytes:
    """search/delta.json: whether a delta index exists, and the addresses whose main-index hits are stale."""
    state = {"bundle": f"/{DELTA_BUNDLE}/" if bundle else None, "superseded": sorted(superseded)}
    return (json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


def search_page(live_html: bytes, lang: str) -> bytes:
    """The static search page: the live search page (its form) with a results area and the search script."""
    with override(lang):
        strings = {
            "searching": _("Searching…"),
            "none": _("No record matches these words."),
            "failed": _("The search index could not be loaded."),
            "count": _("Records found: %(count)s"),
        }
        note = _("This copy of the site searches the record pages in your browser; it needs JavaScript.")
    attributes = " ".join(f'data-{key}="{_escape(value)}"' for key, value in strings.items())
    results = (
        f'\n<div id="static-search" class="static-search" aria-live="polite" data-bundle="/{BUNDLE}/" '
        f'data-delta="/{DELTA_STATE}" {attributes}></div>\n<noscript><p>{_escape(note)}</p></noscript>'
    ).encode()
    html = live_html.replace(b"</form>", b"</form>" + results, 1)
    script = f'<script src="/{SEARCH_SCRIPT}" defer></script>\n</head>'.encode()
    return html.replace(b"</head>", script, 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def script(name: str) -> bytes:
    """One of the export's own scripts (search.js, lists.js), shipped beside this module."""
    return (Path(__file__).resolve().parent / name).read_bytes()

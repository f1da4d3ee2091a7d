"""`caim export-site OUT/`: the whole public site as static files (SPEC §8). docs/static-export.md explains it.

Every page and file is rendered in this process through Django's test client, from the same views, templates
and data as the live site, so the export and the site match byte for byte; the few changes a folder of files
needs are applied to the written HTML afterwards (`postprocess`, `static_list`, `pagefind.mark_body`). A few
shortcuts keep a large export fast, each checked against the test client's page in every process and given up if
they ever differ: record pages are rendered by the view's own presenter and template with the view's queries
made once per batch of records (`record_page`), entity pages and feeds likewise per batch of entities
(`entity_page`, `entity_feed`), with each linked record's row made once per batch (`Links`), and the page of
the current version is the record's page with its own address (`current_version_page`). Citation files, exports and API files come from the functions their
views call. A page at `/incidents/slug/` is
written as `incidents/slug/index.html`; a file keeps its name. Beside each text file over 1 KB goes a `.gz`
(libdeflate, as small as gzip -9), and a `.br` when the `brotli` package is installed.

What is written is organized in *units*: one per record (its pages in both languages, earlier versions, diffs,
citation downloads, exports, API files, redirect pages), one per entity and AI system, and a few for the rest
(home page, lists, feeds, statistics, corpus files, ...). Each written file names the records it depends on,
or "all", and the groups of changes that alter it (`list:incident`, `records`, `named`); `manifest.json` keeps
them with each file's size and SHA-256, one line per unit (the record units' lines in shard files under
manifest/), and the state of the public layer the export was made from. `--incremental` compares that state with the database and renders only the files that depend on what
changed; the large per-record files (records.json, the bulk files, the list downloads) are rebuilt from the
pieces that changed (export/sequences.py). Files whose bytes did not change are left untouched.
"""

from __future__ import annotations

import gc
import hashlib
import html
import importlib.util
import json
import math
import os
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import deflate
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from caim import prettyjson
from caim.export import pagefind, sequences

FORMAT = "caim-static-export/2"
MANIFEST = "manifest.json"
LANGS = ("en", "fr")
GZIP_SUFFIXES = (".html", ".json", ".jsonl", ".css", ".js", ".xml", ".atom", ".csv", ".svg")
GZIP_MIN = 1024  # bytes: smaller files are not worth a compressed copy
RECORDS_PER_TASK = 50
ENTITIES_PER_TASK = 100
WORKER_NICENESS = 5  # see _worker_started
ALL = "all"
BROTLI = importlib.util.find_spec("brotli") is not None
# The manifest and the Pagefind indexes are written here first, then renamed to their place (other files are
# written beside their place with the suffix PART, see Writer._put): a file under its own name is always whole,
# even if the export is killed. The folder is made when an export starts and removed when it completes; left
# behind, it tells the next run that an export was interrupted (see begin_export).
STAGING = ".caim-partial"
PART = ".caim-part"


class ExportError(Exception):
    """The export cannot run (a bad output folder, a page that did not render); the message says why."""


# -- what a unit yields ---------------------------------------------------------------------------------------


@dataclass
class Out:
    """One file of a unit: where, what it depends on, and how to make it (called only if it must be written).

    A file depends on a record in one of three ways: on the record itself (`deps`: any new version changes it),
    on the record as a link (`links`: its address, title and badges, as in a list of related records), or on
    its row in a list (`rows`: a link and its summary)."""

    path: str
    deps: tuple[int, ...] | str  # record ids, or ALL
    make: Callable[[], bytes]
    groups: tuple[str, ...] = ()
    links: tuple[int, ...] = ()
    rows: tuple[int, ...] = ()
    settled: bool = False  # made from one published version (never changes) and the record's address only

    def all_deps(self) -> list[int] | str:
        return ALL if self.deps == ALL else sorted({*self.deps, *self.links, *self.rows})


def file_for(url: str) -> str:
    """The file of an address: '/incidents/x/' -> 'incidents/x/index.html', '/feeds/a.atom' -> 'feeds/a.atom'."""
    path = url.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def page_url(path: str) -> str:
    """The address of a written file: 'incidents/x/index.html' -> '/incidents/x/'."""
    return "/" + (path[: -len("index.html")] if path.endswith("index.html") else path)


# -- rendering ------------------------------------------------------------------------------------------------


class Renderer:
    """Django's test client on this process, answering as the public site at CAIM_SITE_URL."""

    def __init__(self):
        from django.test import Client

        site = urlsplit(settings.CAIM_SITE_URL)
        host = site.netloc or "testserver"
        bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if "*" not in settings.ALLOWED_HOSTS and bare not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, bare]  # this process only: it serves no one
        self.client = Client(HTTP_HOST=host)
        self.secure = site.scheme == "https"

    def get(self, url: str, status: int = 200) -> bytes:
        import logging
        import warnings

        log = logging.getLogger("django.request")
        level = log.level
        with warnings.catch_warnings():
            # WhiteNoise warns when collectstatic has not run (the export copies the files itself); the 404 pages
            # are asked for on purpose.
            warnings.filterwarnings("ignore", message="No directory at")
            if status != 200:
                log.setLevel(logging.ERROR)
            try:
                response = self.client.get(url, secure=self.secure)
            finally:
                log.setLevel(level)
        if response.status_code != status:
            raise ExportError(f"{url} answered {response.status_code}, not {status}.")
        return b"".join(response.streaming_content) if response.streaming else response.content


_renderer: Renderer | None = None


def renderer() -> Renderer:
    global _renderer
    if _renderer is None:
        _renderer = Renderer()
    return _renderer


# -- the plan: what the site holds, computed once and shared by every worker ----------------------------------


@dataclass
class Plan:
    """What the export holds beyond the records: list pages, filter pages, directory pages."""

    list_pages: dict[str, int]  # record type -> number of pages of its unfiltered list
    facet_values: dict[str, list[tuple[str, str]]]  # record type -> (filter, value) with a page of their own
    entity_pages: dict[str, int]  # "" (all kinds) or an entity kind -> pages of the entity list
    system_pages: int
    correction_pages: int
    sitemap_pages: dict[str, int]  # sitemap section -> pages

    def as_json(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        data = dict(data)
        data["facet_values"] = {
            t: [tuple(pair) for pair in pairs] for t, pairs in data["facet_values"].items()
        }
        return cls(**data)


FACET_KINDS = ("field", "tag", "french")


def make_plan() -> Plan:
    from caim.site import directory, lists
    from caim.site.sitemaps import SITEMAPS

    index = lists.get_index()
    kinds = {f.param: f.kind for f in lists.FACETS}
    list_pages, facet_values = {}, {}
    for record_type in ("incident", "hazard"):
        state = lists.ListState(record_type=record_type)
        result = lists.run_list(state, 1, index)
        list_pages[record_type] = max(1, math.ceil(result.total / lists.PAGE_SIZE))
        facet_values[record_type] = [
            (param, value)
            for param, options in result.counts.items()
            if kinds.get(param) in FACET_KINDS
            for value, _label, count in options
            if count
        ]
    kinds_count = defaultdict(int)
    for kind in directory.public_entities().values_list("kind", flat=True):
        kinds_count[kind] += 1
    entity_pages = {"": max(1, math.ceil(sum(kinds_count.values()) / directory.PAGE_SIZE))}
    entity_pages.update({k: max(1, math.ceil(n / directory.PAGE_SIZE)) for k, n in kinds_count.items()})
    return Plan(
        list_pages=list_pages,
        facet_values=facet_values,
        entity_pages=entity_pages,
        system_pages=max(1, math.ceil(directory.public_systems().count() / directory.PAGE_SIZE)),
        correction_pages=correction_pages(),
        sitemap_pages={name: max(1, sitemap().paginator.num_pages) for name, sitemap in SITEMAPS.items()},
    )


def correction_pages() -> int:
    from caim.records.models import RecordVersion, VersionKind
    from caim.site.views import CORRECTIONS_PAGE_SIZE

    corrections = RecordVersion.objects.filter(
        kind=VersionKind.CORRECTION, record__public__isnull=False
    ).count()
    return max(1, math.ceil(corrections / CORRECTIONS_PAGE_SIZE))


_plan: Plan | None = None


def plan() -> Plan:
    global _plan
    if _plan is None:
        _plan = make_plan()
    return _plan


# -- the changes a folder of files needs ----------------------------------------------------------------------


HREF = re.compile(rb'href="([^"]*\?[^"#]*(?:#[^"]*)?)"')
LIST_ROOTS = {"/incidents/": "incident", "/hazards/": "hazard"}


def static_address(raw: str, page_path: str) -> str | None:
    """The exported page of a site address with a query string (a list page, a filter, a directory page), or
    None when the export has no such page (combined filters, words, sorts: they need the server)."""
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path or page_path
    params = parse_qsl(parts.query)
    if len({k for k, _v in params}) != len(params):
        return None
    query = dict(params)
    prefix = "/fr" if path.startswith("/fr/") else ""
    rest = path[len(prefix) :]
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    try:
        page = int(query.pop("page", "1"))
    except ValueError:
        return None
    if page < 1:
        return None
    current = plan()
    tail = "" if page == 1 else f"page/{page}/"
    if rest in LIST_ROOTS:
        record_type = LIST_ROOTS[rest]
        if not query and page <= current.list_pages[record_type]:
            return f"{prefix}{rest}{tail}{fragment}"
        if len(query) == 1 and page == 1:
            param, value = next(iter(query.items()))
            if (param, value) in current.facet_values[record_type]:
                return f"{prefix}{rest}{param}/{value}/{fragment}"
        return None
    if rest == "/entities/":
        kind = query.pop("kind", "")
        if query or kind not in current.entity_pages or page > current.entity_pages[kind]:
            return None
        return f"{prefix}{rest}{f'kind/{kind}/' if kind else ''}{tail}{fragment}"
    if rest == "/systems/" and not query and page <= current.system_pages:
        return f"{prefix}{rest}{tail}{fragment}"
    if rest == "/corrections/" and not query and page <= current.correction_pages:
        return f"{prefix}{rest}{tail}{fragment}"
    return None


def rewrite_links(body: bytes, page_path: str) -> bytes:
    """Links with a query string to the exported page that holds the same content (see static_address)."""

    def replace(match: re.Match) -> bytes:
        target = static_address(html.unescape(match.group(1).decode()), page_path)
        return match.group(0) if target is None else b'href="' + html.escape(target).encode() + b'"'

    return HREF.sub(replace, body)


FILTER_FORM = re.compile(rb'<form class="filters"[^>]*>')
DOWNLOADS = re.compile(rb'\s*<p class="downloads">.*?</p>', re.DOTALL)
PAGINATION = re.compile(rb'\s*<nav class="pagination".*?</nav>', re.DOTALL)
OVER_TIME = re.compile(rb'\s*<p class="over-time-link">.*?</p>', re.DOTALL)
FIND_NAME = re.compile(rb'\s*<p class="find">.*?</p>', re.DOTALL)


def static_list(body: bytes, root: str, record_type: str, filtered: bool) -> bytes:
    """A list page for a folder of files: its filter form goes to the exported pages (lists.js) instead of
    asking the server; a filter's page shows its first page only, without the downloads of its records."""
    lang_prefix = "/fr" if root.startswith("/fr/") else ""
    params = sorted({param for param, _value in plan().facet_values[record_type]})
    form = (
        f'<form class="filters" method="get" action="{root}" role="search" data-static-list="{root}" '
        f'data-static-filters="{" ".join(params)}" data-static-search="{lang_prefix}/search/" '
        f'data-static-entities="{lang_prefix}/entities/" data-static-systems="{lang_prefix}/systems/">'
    ).encode()
    label = re.search(rb'<form class="filters"[^>]*?(aria-label="[^"]*")', body)
    if label:
        form = form[:-1] + b" " + label.group(1) + b">"
    body = FILTER_FORM.sub(lambda _m: form, body, count=1)
    body = OVER_TIME.sub(b"", body, count=1)  # the exported statistics page cannot take the list's filters
    body = FIND_NAME.sub(b"", body)  # finding a name needs the server: the export offers the directory pages
    if filtered:
        body = DOWNLOADS.sub(b"", body, count=1)
        body = PAGINATION.sub(b"", body, count=1)
    script = f'<script src="/{pagefind.LIST_SCRIPT}" defer></script>\n</head>'.encode()
    return body.replace(b"</head>", script, 1)


def postprocess(body: bytes, live_path: str) -> bytes:
    """What every exported HTML page gets: links to list pages and directory pages that exist as files."""
    return rewrite_links(body, live_path)


# -- writing --------------------------------------------------------------------------------------------------


def compressible(path: str, size: int) -> bool:
    return size > GZIP_MIN and path.endswith(GZIP_SUFFIXES)


def gzip_bytes(body: bytes) -> bytes:
    """gzip by libdeflate at level 6: as small as gzip -9 and twice as fast as zlib's level 6 (measured on record
    pages: 0.08 ms against 0.19 ms at -9). No name, mtime 0: the same input always gives the same bytes."""
    return deflate.gzip_compress(body, 6)


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Writer:
    """Writes files under `out` and returns their manifest rows; in an incremental run, a file whose bytes did
    not change is not touched, and changed files replace the old ones atomically. Files are written in the
    caller's thread: writer threads beside the renderer were measured slower on two cores (the renderer holds the
    GIL; the export's worker processes already fill the cores)."""

    def __init__(self, out: Path, old_rows: dict[str, list] | None = None):
        self.out = out
        self.old_rows = old_rows or {}
        self.made_dirs: set[Path] = set()
        self.changed: list[str] = []
        self._last_packed: tuple[bytes, bytes] | None = None
        self._written: dict[str, Path] = {}  # sha256 -> a file this writer wrote with those bytes
        self._recent_digest: tuple[bytes, str] | None = None  # the same bytes written twice are hashed once

    def _put(self, path: str, body: bytes) -> list:
        recent = self._recent_digest
        sha = recent[1] if recent is not None and recent[0] is body else digest(body)
        self._recent_digest = (body, sha)
        old = self.old_rows.get(path)
        target = self.out / path
        if old is not None and old[2] == sha and target.is_file():  # [path, size, sha256, ...]
            return [len(body), sha]
        folder = target.parent
        if folder not in self.made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            self.made_dirs.add(folder)
        # Made beside its target: a rename within one folder costs a third of a rename from another folder on
        # ext4 (measured: 0.05 against 0.15-0.3 ms a file). A name of its own per file, hidden, removed by the next
        # export if this one is killed (begin_export).
        partial = folder / f".{target.name}{PART}"
        if not self._link(self._written.get(sha), partial):
            _create_file(partial, body)
        os.replace(partial, target)
        self._written[sha] = target
        self.changed.append(path)
        return [len(body), sha]

    @staticmethod
    def _link(same: Path | None, partial: Path) -> bool:
        """Whether `partial` is now a hard link to `same`, a file this writer wrote with the same bytes (the
        current version's files at the record's address): a link costs a directory entry where a new file costs
        an inode, most of a small file's cost. Files are only ever replaced by renaming, so a later change to
        one of the names leaves the other alone."""
        if same is None:
            return False
        try:
            os.link(same, partial)
        except OSError:  # a file system without hard links
            return False
        return True

    def _write(self, path: str, body: bytes, deps, groups: list) -> list[list]:
        rows = [[path, *self._put(path, body), deps, groups]]
        if compressible(path, len(body)):
            if (kept := self._kept_copies(path, rows[0][2])) is not None:
                return rows + [[name, *row[1:3], deps, groups] for name, row in kept]
            packed = self._last_packed
            if packed is None or packed[0] is not body:  # the same bytes as the last file: its copy serves
                packed = (body, gzip_bytes(body))
                self._last_packed = packed
            rows.append([f"{path}.gz", *self._put(f"{path}.gz", packed[1]), deps, groups])
            if BROTLI:
                import brotli

                rows.append([f"{path}.br", *self._put(f"{path}.br", brotli.compress(body)), deps, groups])
        return rows

    def _kept_copies(self, path: str, sha: str) -> list[tuple[str, list]] | None:
        """The previous rows of the compressed copies of a file whose bytes did not change, if they are all there
        (an unchanged graph.json or sitemap page is not compressed again: megabytes)."""
        old = self.old_rows.get(path)
        if old is None or old[2] != sha:
            return None
        names = [f"{path}.gz", f"{path}.br"] if BROTLI else [f"{path}.gz"]
        kept = [(name, self.old_rows.get(name)) for name in names]
        if any(row is None or not (self.out / name).is_file() for name, row in kept):
            return None
        return kept

    def write(self, out: Out, body: bytes) -> list[list]:
        """[path, size, sha256, deps, groups] rows for the file and its compressed copies."""
        return self._write(out.path, body, out.all_deps(), list(out.groups))

    def write_raw(self, path: str, body: bytes, deps, groups=()) -> list:
        deps = deps if deps == ALL else sorted(set(deps))
        return [path, *self._put(path, body), deps, list(groups)]


def _create_file(path: Path, body: bytes) -> None:
    """Path.write_bytes without its file object, whose making costs more than writing a small file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)  # less the umask
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


# -- the state of the public layer ----------------------------------------------------------------------------


LISTED, WITHDRAWN, MERGED = "listed", "withdrawn", "merged"
# The columns whose values place a record in the lists and their filter counts (not the text of its row, which
# only changes the pages showing it).
LIST_COLUMNS = ("record_type", "severity", "verification", "hazard_status", "confidence", "contested",
                "has_french", "event_date", "occurred", "first_published_at", "severity_rank")  # fmt: skip
LINK_COLUMNS = ("record_type", "slug", "title_en", "title_fr", "severity", "verification", "contested",
                "hazard_status", "confidence")  # fmt: skip
ROW_COLUMNS = (*LINK_COLUMNS, "summary_en", "summary_fr")


def _sig(values) -> str:
    return hashlib.sha1("\x1f".join(map(str, values)).encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass
class RecordState:
    version: int
    status: str  # LISTED, WITHDRAWN or MERGED
    record_type: str
    slug: str
    list_sig: str  # a hash of what places the record in lists and filter counts
    stats_sig: str  # the same, and whether it has a response (what the statistics count)
    link_sig: str  # a hash of the record as a link: address, title, badges
    row_sig: str  # a hash of its row in a list: the link and its summary
    entities: list[
        str
    ]  # "<entity id>:<role>" for each public role of an entity in it (entity pages group by role)
    systems: list[int]  # the AI systems it names
    links: list[int]  # records its page shows: related, then linked (materialized) ones
    old_slugs: list[str] = field(default_factory=list)
    merged_into: int | None = None

    def as_json(self) -> list:
        return [self.version, self.status, self.record_type, self.slug, self.list_sig, self.stats_sig,
                self.link_sig, self.row_sig, self.entities, self.systems, self.links, self.old_slugs,
                self.merged_into]  # fmt: skip

    @classmethod
    def from_json(cls, row: list) -> RecordState:
        return cls(*row)


def public_state(ids: Iterable[int] | None = None) -> dict[int, RecordState]:
    """The state of every public record (or of `ids`): a handful of queries whatever the corpus size."""
    from caim.records.models import (
        PublicEntityRole,
        PublicRecord,
        PublicSystemLink,
        PublicTag,
        RelatedRecord,
        SlugRedirect,
    )

    rows = PublicRecord.objects.all()
    if ids is not None:
        ids = list(ids)
        rows = rows.filter(pk__in=ids)

    def narrowed(qs, column="record_id"):
        return qs.filter(**{f"{column}__in": ids}) if ids is not None else qs

    tags, entities, systems = defaultdict(list), defaultdict(set), defaultdict(set)
    for pk, vocabulary, slug in narrowed(PublicTag.objects.all()).values_list(
        "record_id", "vocabulary", "slug"
    ):
        tags[pk].append(f"{vocabulary}:{slug}")
    for pk, entity, role in narrowed(PublicEntityRole.objects.all()).values_list(
        "record_id", "entity_id", "role"
    ):
        entities[pk].add(f"{entity}:{role}")
    for pk, system in narrowed(PublicSystemLink.objects.all()).values_list("record_id", "system_id"):
        systems[pk].add(system)
    links = defaultdict(list)
    related = narrowed(RelatedRecord.objects.filter(related__withdrawn=False)).order_by(
        "record_id", "-score", "pk"
    )
    for pk, other in related.values_list("record_id", "related_id"):
        links[pk].append(other)
    through = PublicRecord.materialized_from.through
    pairs = through.objects.filter(from_publicrecord__withdrawn=False, to_publicrecord__withdrawn=False)
    if ids is not None:
        from django.db.models import Q

        pairs = pairs.filter(Q(from_publicrecord_id__in=ids) | Q(to_publicrecord_id__in=ids))
    for incident, hazard in pairs.order_by("from_publicrecord_id", "to_publicrecord_id").values_list(
        "from_publicrecord_id", "to_publicrecord_id"
    ):
        links[incident].append(hazard)
        links[hazard].append(incident)
    old_slugs = defaultdict(list)
    for pk, slug in (
        narrowed(SlugRedirect.objects.all()).order_by("old_slug").values_list("record_id", "old_slug")
    ):
        old_slugs[pk].append(slug)
    out = {}
    columns = ("pk", "version_number", "withdrawn", "merged_into_id", "response_count",
               *dict.fromkeys((*LIST_COLUMNS, *ROW_COLUMNS)))  # fmt: skip
    for row in rows.values_list(*columns):
        values = dict(zip(columns, row, strict=True))
        pk = values["pk"]
        status = MERGED if values["merged_into_id"] else WITHDRAWN if values["withdrawn"] else LISTED
        placed = [str(values[c]) for c in LIST_COLUMNS] + sorted(tags[pk])
        placed += sorted({f"e{e.split(':')[0]}" for e in entities[pk]}) + [
            f"s{s}" for s in sorted(systems[pk])
        ]
        list_sig = _sig(placed)
        out[pk] = RecordState(
            version=values["version_number"],
            status=status,
            record_type=values["record_type"],
            slug=values["slug"],
            list_sig=list_sig,
            stats_sig=f"{list_sig}:{int(bool(values['response_count']))}",
            link_sig=_sig(values[c] for c in LINK_COLUMNS),
            row_sig=_sig(values[c] for c in ROW_COLUMNS),
            entities=sorted(entities[pk]),
            systems=sorted(systems[pk]),
            links=list(dict.fromkeys(links[pk])),
            old_slugs=old_slugs[pk],
            merged_into=values["merged_into_id"],
        )
    return out


def current_state(old: dict[int, RecordState], read_at: str | None) -> dict[int, RecordState]:
    """The state of every public record now: the previous export's (`old`, read at `read_at`) with the records
    the change log names since read again (the log names every record whose public rows a change wrote, the
    other side of a link included). Everything is read when the log cannot say (`PublicChange.since_read`) or
    the manifest has no time."""
    from caim.records.models import PublicChange

    logged = PublicChange.since_read(datetime.fromisoformat(read_at)) if read_at is not None else None
    if logged is None:
        return public_state()
    fresh = public_state(logged)
    new = dict(old)
    for pk in logged:
        if pk in fresh:
            new[pk] = fresh[pk]
        else:
            new.pop(pk, None)
    return dict(sorted(new.items()))


# -- record units ---------------------------------------------------------------------------------------------


def _kind_path(record_type: str) -> str:
    return "incidents" if record_type == "incident" else "hazards"


def redirect_page(target: str, lang: str) -> bytes:
    """A small page that sends the reader (and search engines) to `target`."""
    site = settings.CAIM_SITE_URL
    with translation.override(lang):
        title, moved = _("Page moved"), _("This page has moved:")
    link = html.escape(target)
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f'<meta name="robots" content="noindex">\n<link rel="canonical" href="{html.escape(site)}{link}">\n'
        f'<meta http-equiv="refresh" content="0; url={link}">\n</head>\n<body>\n<p>{html.escape(moved)} '
        f'<a href="{link}">{html.escape(site)}{link}</a></p>\n</body>\n</html>\n'
    ).encode()


def current_version_page(main: bytes, public, lang: str, number: int) -> bytes | None:
    """The page at v/<current>/ from the record's page (they differ only in the addresses of the page itself:
    the hreflang alternates and the language switch), or None when the page is not shaped as expected."""
    site = settings.CAIM_SITE_URL.encode()
    other = "fr" if lang == "en" else "en"
    page = {code: public.url(code).encode() for code in LANGS}
    version = {code: public.url(code, version=number).encode() for code in LANGS}
    replacements = [
        (b'hreflang="en" href="' + site + page["en"] + b'"', b'hreflang="en" href="' + site + version["en"] + b'"', 1),
        (b'hreflang="fr" href="' + site + page["fr"] + b'"', b'hreflang="fr" href="' + site + version["fr"] + b'"', 1),
        (b'hreflang="x-default" href="' + site + page["en"] + b'"',
         b'hreflang="x-default" href="' + site + version["en"] + b'"', 1),
        (b'href="' + page[other] + b'" hreflang="' + other.encode() + b'"',
         b'href="' + version[other] + b'" hreflang="' + other.encode() + b'"', 2),
    ]  # fmt: skip
    for before, after, count in replacements:
        if main.count(before) != count:
            return None
        main = main.replace(before, after)
    return main


class VersionPages:
    """Whether v/<current>/ may be derived from the record's page, and record pages rendered directly (below):
    each is checked against the test client's page on the first record of each process, and given up (every page
    asked of the test client) if they ever differ."""

    checked = False
    derive = True
    direct_checked = False
    direct = True


class Links(dict):
    """(record id, language) -> the record's RecordLink, made once for all the pages of a batch that show it:
    its row's HTML is then written once (a record is listed on the pages of its entities and related records)."""

    def __call__(self, record, lang: str):
        from caim.records.bilingual import RecordLink

        key = (record.pk, lang)
        if key not in self:
            self[key] = RecordLink(record, lang)
        return self[key]


@dataclass
class RecordContext:
    """What records.views.public.record_detail reads besides the record, for many records in a few queries."""

    versions: dict[int, list]  # record id -> its RecordVersion rows, by number
    linked: dict[int, list]  # record id -> listed linked records (materialized), newest event first
    related: dict[int, list]  # record id -> listed related records, most similar first
    link: Links = field(default_factory=Links)

    @classmethod
    def load(cls, ids: list[int], versions: dict[int, list]) -> RecordContext:
        from caim.records.models import PublicRecord, RelatedRecord
        from caim.records.queries import listed

        through = PublicRecord.materialized_from.through
        linked = defaultdict(list)
        hazards = (
            through.objects.filter(listed("to_publicrecord__"), from_publicrecord_id__in=ids)
            .select_related("to_publicrecord")
            .order_by("from_publicrecord_id", "-to_publicrecord__event_date", "-to_publicrecord_id")
        )
        for link in hazards:
            linked[link.from_publicrecord_id].append(link.to_publicrecord)
        incidents = (
            through.objects.filter(listed("from_publicrecord__"), to_publicrecord_id__in=ids)
            .select_related("from_publicrecord")
            .order_by("to_publicrecord_id", "-from_publicrecord__event_date", "-from_publicrecord_id")
        )
        for link in incidents:
            linked[link.to_publicrecord_id].append(link.from_publicrecord)
        related = defaultdict(list)
        rows = (
            RelatedRecord.objects.filter(listed("related__"), record_id__in=ids)
            .select_related("related")
            .order_by("record_id", "-score")
        )
        for link in rows:
            related[link.record_id].append(link.related)
        return cls(versions, linked, related)


_factory = None


def _request(url: str):
    """A GET request as the test client would make it (the pages rendered directly need one)."""
    global _factory
    from django.test import RequestFactory

    _factory = _factory or RequestFactory(HTTP_HOST=renderer().client.defaults["HTTP_HOST"])
    return _factory.get(url, secure=renderer().secure)


def record_page(public, number: int | None, lang: str, context: RecordContext) -> bytes:
    """A record's page (or one of its versions), as records.views.public.record_detail answers it, from the
    batch's context: the view's own queries are made once for many records."""
    from caim.records.views.public import record_page as page_of

    versions = context.versions[public.pk]
    version = public.version if number is None or number == public.version_number else None
    version = version or next(v for v in versions if v.number == number)
    request = _request(public.url(lang, version=number))
    with translation.override(lang):
        request.LANGUAGE_CODE = lang
        response = page_of(request, public, version, number, changelog=versions,
                           linked=context.linked.get(public.pk, []), related=context.related.get(public.pk, []),
                           link=context.link)  # fmt: skip
    return response.content


def checked_record_page(public, number: int | None, lang: str, context: RecordContext) -> bytes:
    """record_page, checked against the test client on the first page of each process."""
    if not VersionPages.direct:
        return renderer().get(public.url(lang, version=number))
    body = record_page(public, number, lang, context)
    if not VersionPages.direct_checked:
        VersionPages.direct_checked = True
        if body != renderer().get(public.url(lang, version=number)):
            VersionPages.direct = False
            return renderer().get(public.url(lang, version=number))
    return body


def once(make: Callable[[], bytes]) -> Callable[[], bytes]:
    """`make`, called at most once: a current version's file and its copy at the record's address share it."""
    made: list[bytes] = []

    def get() -> bytes:
        if not made:
            made.append(make())
        return made[0]

    return get


def citation(public, document: dict, lang: str, number: int, fmt: str) -> bytes:
    """A citation download, as records.views.public.record_citation answers it."""
    from caim.records import citations
    from caim.records.views.public import CITATION_FORMATS

    with translation.override(lang):
        url = settings.CAIM_SITE_URL + public.url(lang, version=number)
        site_name = settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME
        item = citations.csl_item(document, lang=lang, url=url, site_name=site_name,
                                  accessed=timezone.localdate().isoformat())  # fmt: skip
        return CITATION_FORMATS[fmt][1](item).encode()


def record_export(public, document: dict, lang: str, number: int, fmt: str) -> bytes:
    """An OECD or AIID export, as interop.views.record_export answers it."""
    from caim.interop.views import export_document

    with translation.override(lang):
        url = settings.CAIM_SITE_URL + public.url(lang, version=number)
        data = export_document(public.record_type, fmt, document, url, lang)
        return (prettyjson.dumps(data) + "\n").encode()


def record_outputs(
    public, versions: list, state: RecordState, survivor=None, context: RecordContext | None = None
) -> Iterator[Out]:
    """Every file of one public record (see the module's docstring); `versions` are its RecordVersion rows."""
    from caim.api import corpus
    from caim.records.views.public import CITATION_FORMATS

    pk = public.pk
    own = (pk,)
    kind = _kind_path(public.record_type)
    if state.status == MERGED:  # its addresses lead to the record it was merged into
        deps = (pk, survivor.pk)
        for lang in LANGS:
            prefix = "/fr" if lang == "fr" else ""
            for ident in (public.slug, str(pk), *state.old_slugs):
                target = survivor.url(lang)
                yield Out(
                    file_for(f"{prefix}/{kind}/{ident}/"),
                    deps,
                    lambda t=target, la=lang: redirect_page(t, la),
                )
        return
    links = tuple(state.links)
    number = public.version_number
    documents = {v.number: v.document for v in versions}
    cache: dict[str, bytes] = {}

    def render(lang: str, n: int | None) -> bytes:
        if context is None:
            return renderer().get(public.url(lang, version=n))
        return checked_record_page(public, n, lang, context)

    def main_page(lang: str) -> bytes:
        if lang not in cache:
            cache[lang] = render(lang, None)
        return cache[lang]

    def finished(body: bytes, url: str, mark: bool = False) -> bytes:
        body = postprocess(body, url)
        return pagefind.mark_body(body) if mark else body

    def version_page(lang: str, n: int) -> bytes:
        url = public.url(lang, version=n)
        if n == number and VersionPages.derive:
            derived = current_version_page(main_page(lang), public, lang, n)
            if derived is not None and VersionPages.checked:
                return finished(derived, url)
            rendered = renderer().get(url)
            if derived != rendered:
                VersionPages.derive = False
            VersionPages.checked = True
            return finished(rendered, url)
        return finished(render(lang, n), url)

    listed = state.status == LISTED
    for lang in LANGS:
        base = public.url(lang)
        yield Out(
            file_for(base), own, lambda la=lang, b=base: finished(main_page(la), b, mark=listed), links=links
        )
        for version in versions:
            n = version.number
            yield Out(
                file_for(public.url(lang, version=n)),
                own,
                lambda la=lang, n=n: version_page(la, n),
                links=links,
            )
        previous = None
        for version in versions:
            if previous is not None and version.kind != "withdrawal":
                with translation.override(lang):
                    url = reverse(f"records:{public.record_type}_diff",
                                  kwargs={"ident": public.slug, "first": previous.number, "second": version.number})  # fmt: skip
                yield Out(file_for(url), own, lambda u=url: finished(renderer().get(u), u), settled=True)
            previous = version
        for version in versions:
            n = version.number
            for fmt in CITATION_FORMATS:
                body = once(lambda la=lang, n=n, f=fmt: citation(public, documents[n], la, n, f))
                yield Out(f"{public.url(lang, version=n).lstrip('/')}cite.{fmt}", own, body, settled=True)
                if n == number:
                    yield Out(f"{base.lstrip('/')}cite.{fmt}", own, body)
        if not public.withdrawn:  # a withdrawn record is not to be reported elsewhere: no exports
            formats = ("oecd", "aiid") if public.record_type == "incident" else ("oecd",)
            for version in versions:
                n = version.number
                for fmt in formats:
                    body = once(lambda la=lang, n=n, f=fmt: record_export(public, documents[n], la, n, f))
                    yield Out(f"{public.url(lang, version=n).lstrip('/')}{fmt}.json", own, body, settled=True)
                    if n == number:
                        yield Out(f"{base.lstrip('/')}{fmt}.json", own, body)
        prefix = "/fr" if lang == "fr" else ""
        for ident in (str(pk), *state.old_slugs):  # its id and earlier slugs lead to its page
            redirect = lambda b=base, la=lang: redirect_page(b, la)  # noqa: E731
            yield Out(file_for(f"{prefix}/{kind}/{ident}/"), own, redirect, settled=True)
    yield Out(
        f"api/v3/records/{public.slug}.json", own, lambda: corpus.record_json(public).encode(), links=links
    )
    yield Out(
        f"api/v3/records/{public.slug}/versions.json",
        own,
        lambda: corpus.versions_json(public, versions).encode(),
    )


def record_units(ids: list[int], states: dict[int, RecordState]) -> Iterator[tuple[str, Iterator[Out]]]:
    from caim.records.models import PublicRecord, RecordVersion

    publics = PublicRecord.objects.filter(pk__in=ids).select_related("version").in_bulk()
    versions = defaultdict(list)
    for version in (
        RecordVersion.objects.filter(record_id__in=ids)
        .only("record_id", "number", "kind", "document", "published_at", "changelog_en", "changelog_fr")
        .order_by("record_id", "number")
    ):
        versions[version.record_id].append(version)
    survivors = PublicRecord.objects.in_bulk([states[pk].merged_into for pk in ids if states[pk].merged_into])
    context = RecordContext.load(ids, versions)
    for pk in ids:
        public = publics.get(pk)
        if public is None:  # no longer public (never happens: records are not deleted)
            yield f"record:{pk}", iter(())
            continue
        state = states[pk]
        yield (
            f"record:{pk}",
            record_outputs(public, versions[pk], state, survivors.get(state.merged_into), context),
        )


# -- the other units ------------------------------------------------------------------------------------------


def _page(url: str, deps, groups=(), links=()) -> Out:
    return Out(
        file_for(url), deps, lambda: postprocess(renderer().get(url), urlsplit(url).path), groups, links
    )


def _file(url: str, deps, groups=(), path: str | None = None) -> Out:
    return Out(path or url.lstrip("/"), deps, lambda: renderer().get(url), groups)


def _both(url: str) -> list[str]:
    return [url, "/fr" + url]


def _watch_ids() -> tuple[int, ...]:
    from caim.records.models import PublicRecord

    return tuple(PublicRecord.objects.on_watch().values_list("pk", flat=True))


def home_unit() -> Iterator[Out]:
    """The home page: its counts, newest records and hazard watch."""
    from caim.records.models import PublicRecord
    from caim.site.views import HOME_LATEST

    newest = PublicRecord.objects.listed().order_by("-first_published_at", "-pk")
    deps = tuple(newest.values_list("pk", flat=True)[:HOME_LATEST]) + _watch_ids()
    for url in _both("/"):
        yield _page(url, (), ("records", "list:hazard"), links=deps)


def list_unit(record_type: str, lang: str, start: int, stop: int) -> Iterator[Out]:
    """Pages start..stop-1 of an unfiltered list (page 1 is the list's own address)."""
    from caim.site import lists

    index = lists.get_index()
    ids = lists.matching_ids(lists.ListState(record_type=record_type), index)
    root = ("/fr" if lang == "fr" else "") + f"/{_kind_path(record_type)}/"
    group = (f"list:{record_type}",)
    for number in range(start, stop):
        url = root + ("" if number == 1 else f"?page={number}")
        shown = tuple(ids[(number - 1) * lists.PAGE_SIZE : number * lists.PAGE_SIZE])
        path = file_for(root + ("" if number == 1 else f"page/{number}/"))

        def make(u=url):
            return static_list(postprocess(renderer().get(u), root), root, record_type, filtered=False)

        yield Out(path, (), make, group, rows=shown)


def facet_unit(record_type: str, lang: str) -> Iterator[Out]:
    """The first page of the list for each value of each filter that has records."""
    from caim.site import lists

    index = lists.get_index()
    root = ("/fr" if lang == "fr" else "") + f"/{_kind_path(record_type)}/"
    group = (f"list:{record_type}",)
    for param, value in plan().facet_values[record_type]:
        state = lists.ListState(record_type=record_type, values={param: (value,)})
        shown = tuple(lists.matching_ids(state, index)[: lists.PAGE_SIZE])
        url = f"{root}?{param}={value}"

        def make(u=url):
            return static_list(postprocess(renderer().get(u), root), root, record_type, filtered=True)

        yield Out(file_for(f"{root}{param}/{value}/"), (), make, group, rows=shown)


def _listed_records(rows) -> dict[int, tuple[int, ...]]:
    """(object id, record id) rows -> object id -> the record ids, sorted."""
    out = defaultdict(set)
    for key, record in rows:
        out[key].add(record)
    return {k: tuple(sorted(v)) for k, v in out.items()}


class Direct:
    """Entity pages and feeds rendered without the test client (entity_page, entity_feed): each kind is checked
    against the test client's answer on its first file in each process, and given up if they ever differ."""

    checked: set[str] = set()
    failed: set[str] = set()

    @classmethod
    def get(cls, kind: str, url: str, make: Callable[[], bytes]) -> bytes:
        if kind in cls.failed:
            return renderer().get(url)
        body = make()
        if kind not in cls.checked:
            cls.checked.add(kind)
            if body != renderer().get(url):
                cls.failed.add(kind)
                return renderer().get(url)
        return body


def entity_page(entity, url: str, roles: list, systems: list, lang: str, links: Links) -> bytes:
    """An entity's page as site.directory.entity_detail renders it, from rows read for many entities at once."""
    from django.shortcuts import render

    from caim.site.directory import entity_context

    request = _request(url)
    with translation.override(lang):
        request.LANGUAGE_CODE = lang
        response = render(
            request, "site/entity_detail.html", entity_context(entity, roles, systems, lang, links)
        )
    return response.content


def entity_feed(entity, url: str, lang: str, records: tuple) -> bytes:
    """An entity's Atom feed as site.feeds.EntityFeed answers it, with the entity and its items (`records`, from
    feeds.newest_naming) read for many at once."""
    from django.http import HttpResponse

    from caim.site.feeds import EntityFeed, Scope

    request = _request(url)
    with translation.override(lang):
        request.LANGUAGE_CODE = lang
        feed = EntityFeed().get_feed(
            Scope(lang=lang, path=request.path, entity=entity, records=records), request
        )
        response = HttpResponse(content_type=feed.content_type)
        feed.write(response, "utf-8")
    return response.content


def entity_units(ids: list[int]) -> Iterator[tuple[str, Iterator[Out]]]:
    """Each entity's page and feed, in both languages (nothing when no listed record names it any more)."""
    from caim.site import directory, feeds

    entities = directory.public_entities().filter(pk__in=ids).in_bulk()
    roles, named, systems = defaultdict(list), defaultdict(set), defaultdict(list)
    for row in directory.entity_roles(ids):
        roles[row.entity_id].append(row)
        named[row.entity_id].add(row.record_id)
    for system in directory.developed_systems(ids):
        systems[system.developer_id].append(system)
    links = Links()
    items = feeds.newest_naming(ids)

    def page(entity, lang: str, url: str) -> bytes:
        make = lambda: entity_page(entity, url, roles[entity.pk], systems[entity.pk], lang, links)  # noqa: E731
        return postprocess(Direct.get("entity", url, make), url)

    def feed(entity, lang: str, url: str) -> bytes:
        return Direct.get("feed", url, lambda: entity_feed(entity, url, lang, items[entity.pk]))

    for pk in ids:
        entity = entities.get(pk)
        if entity is None:
            yield f"entity:{pk}", iter(())
            continue
        deps = tuple(sorted(named[pk]))
        outs = [
            Out(file_for(url), (), lambda e=entity, la=lang, u=url: page(e, la, u), links=deps)
            for lang, url in zip(LANGS, _both(f"/entities/{entity.slug}/"), strict=True)
        ]
        outs += [
            Out(url.lstrip("/"), deps, lambda e=entity, la=lang, u=url: feed(e, la, u))
            for lang, url in zip(LANGS, _both(f"/feeds/entities/{entity.slug}.atom"), strict=True)
        ]
        yield f"entity:{pk}", iter(outs)


def system_units(ids: list[int]) -> Iterator[tuple[str, Iterator[Out]]]:
    from caim.records.models import PublicSystemLink
    from caim.site import directory

    slugs = dict(directory.public_systems().filter(pk__in=ids).values_list("pk", "slug"))
    used = _listed_records(
        PublicSystemLink.objects.listed().filter(system_id__in=ids).values_list("system_id", "record_id")
    )
    for pk in ids:
        slug = slugs.get(pk)
        if slug is None:
            yield f"system:{pk}", iter(())
            continue
        pages = [_page(url, (), links=used.get(pk, ())) for url in _both(f"/systems/{slug}/")]
        yield f"system:{pk}", iter(pages)


def directory_lists_unit() -> Iterator[Out]:
    """The entity list (all kinds, and each kind) and the AI system list, every page, both languages."""
    current = plan()
    for lang_prefix in ("", "/fr"):
        for kind, pages in current.entity_pages.items():
            for number in range(1, pages + 1):
                query = "&".join(
                    part
                    for part in (f"kind={kind}" if kind else "", f"page={number}" if number > 1 else "")
                    if part
                )
                url = f"{lang_prefix}/entities/" + (f"?{query}" if query else "")
                path = (
                    f"{lang_prefix}/entities/"
                    + (f"kind/{kind}/" if kind else "")
                    + (f"page/{number}/" if number > 1 else "")
                )
                yield Out(
                    file_for(path),
                    (),
                    lambda u=url: postprocess(renderer().get(u), urlsplit(u).path),
                    ("named",),
                )
        for number in range(1, current.system_pages + 1):
            url = f"{lang_prefix}/systems/" + (f"?page={number}" if number > 1 else "")
            path = f"{lang_prefix}/systems/" + (f"page/{number}/" if number > 1 else "")
            yield Out(
                file_for(path), (), lambda u=url: postprocess(renderer().get(u), urlsplit(u).path), ("named",)
            )


def feeds_unit() -> Iterator[Out]:
    """The Atom feeds of all records, incidents, hazards and each domain, and the JSON Feeds, both languages."""
    from caim.records.models import PublicRecord
    from caim.site.feeds import FEED_SIZE
    from caim.taxonomy.loader import get_taxonomy

    listed = PublicRecord.objects.listed().order_by("-first_published_at", "-pk")

    def newest(qs) -> tuple[int, ...]:
        return tuple(qs.values_list("pk", flat=True)[:FEED_SIZE])

    scopes = {"records": listed, "incidents": listed.filter(record_type="incident"),
              "hazards": listed.filter(record_type="hazard")}  # fmt: skip
    for name, qs in scopes.items():
        deps = newest(qs)
        for url in _both(f"/feeds/{name}.atom"):
            yield _file(url, deps, ("records",))
    for domain in get_taxonomy()["domain"].slugs():
        deps = newest(listed.filter(tags__vocabulary="domain", tags__slug=domain))
        for url in _both(f"/feeds/domains/{domain}.atom"):
            yield _file(url, deps, ("records", "list:incident", "list:hazard"))
    from caim.api.feeds import feed_records

    items = tuple(p.pk for p in feed_records())  # the newest records and the newest withdrawals
    for url in _both("/api/v3/feed.json"):
        yield _file(url, items, ("records",))


def stats_unit() -> Iterator[Out]:
    from caim.stats.views import CHARTS

    watch = _watch_ids()
    for lang_prefix in ("", "/fr"):
        yield _page(f"{lang_prefix}/stats/", (), ("stats",), links=watch)
        for chart in CHARTS:
            yield _file(f"{lang_prefix}/stats/{chart.slug}.csv", (), ("stats",))


def corrections_unit() -> Iterator[Out]:
    for lang_prefix in ("", "/fr"):
        for number in range(1, plan().correction_pages + 1):
            url = f"{lang_prefix}/corrections/" + (f"?page={number}" if number > 1 else "")
            path = f"{lang_prefix}/corrections/" + (f"page/{number}/" if number > 1 else "")
            yield Out(file_for(path), ALL, lambda u=url: postprocess(renderer().get(u), urlsplit(u).path))


PROSE = ("/about/", "/methodology/", "/standards/", "/privacy/", "/api/", "/taxonomy/")


def fixed_unit() -> Iterator[Out]:
    """What no record changes: prose pages, the taxonomy, the search pages, robots.txt, 404 pages, assets."""
    for name in PROSE:
        for url in _both(name):
            yield _page(url, ())
    yield _file("/api/v3/taxonomy.json", ())
    yield _file("/api/v3/bulk/LICENCE.txt", ())
    yield _file("/robots.txt", ())
    for lang, url in zip(LANGS, _both("/search/"), strict=True):
        yield Out(
            file_for(url),
            (),
            lambda u=url, la=lang: pagefind.search_page(postprocess(renderer().get(u), u), la),
        )
    for lang_prefix in ("", "/fr"):
        url = f"{lang_prefix}/this-page-does-not-exist/"
        yield Out(f"{lang_prefix.lstrip('/')}/404.html".lstrip("/"), (), lambda u=url: renderer().get(u, 404))
    yield Out(pagefind.SEARCH_SCRIPT, (), lambda: pagefind.script("search.js"))
    yield Out(pagefind.LIST_SCRIPT, (), lambda: pagefind.script("lists.js"))
    for path, source in static_files():
        yield Out(path, (), lambda s=source: s.read_bytes())
    yield Out("README.txt", (), readme)
    yield Out("_headers", (), headers)


def static_files() -> Iterator[tuple[str, Path]]:
    """The site's own static files (those under a `caim/` prefix), as collectstatic would gather them."""
    from django.contrib.staticfiles import finders

    seen = set()
    for finder in finders.get_finders():
        for name, storage in finder.list(["*.scss"]):
            name = name.replace(os.sep, "/")
            if name.startswith("caim/") and name not in seen:
                seen.add(name)
                yield f"{settings.STATIC_URL.strip('/')}/{name}", Path(storage.path(name))


def derived_unit() -> Iterator[Out]:
    """stats.json, systemic-analysis.json and graph.json, as the API writes them."""
    from caim.api import views as api_views
    from caim.records.models import PublicRecord
    from caim.stats import api as stats_api

    def document(build) -> bytes:
        return "".join(api_views._document(build)).encode()

    yield Out(
        "api/v3/stats.json", (), lambda: document(stats_api.stats_document), ("stats",), links=_watch_ids()
    )
    # systemic-analysis.json reads the listed hazards (documents, versions, the incidents linked to them: a new
    # link changes the hazard's state too) and every record's tags and event date (what places it in lists):
    # a correction of an incident's text leaves it as it was.
    hazards = tuple(PublicRecord.objects.listed().filter(record_type="hazard").values_list("pk", flat=True))
    yield Out(
        "api/v3/systemic-analysis.json",
        hazards,
        lambda: document(stats_api.systemic_document),
        ("records", "list:incident", "list:hazard"),
    )
    yield Out("api/v3/graph.json", ALL, graph_json)


# What making graph.json in this process learnt, for the manifest: the lint's key and, for each record whose
# document looked other records up, their ids ({"key": ..., "reads": {"<record id>": [ids]}}).
_graph_lint: dict = {}


def graph_json() -> bytes:
    """graph.json as the API writes it; in an incremental run, with the warnings of the previous graph.json for
    the records whose lint cannot have changed (linting every document is most of its work)."""
    from caim.api import graph
    from caim.api import views as api_views

    kept = _kept_warnings()
    reads: dict[int, list[int]] = {}
    if kept is None:
        body = "".join(api_views._document(lambda: graph.graph_document(None, reads))).encode()
    else:
        # The kept records looked up what they did before; the others are linted here, once.
        old_reads = _previous.manifest.header["lint"]["reads"]
        reads.update({int(pk): ids for pk, ids in old_reads.items() if int(pk) in kept})
        listed = [pk for pk, state in _previous.new.items() if state.status == LISTED]
        relinted = graph.warnings_of(sorted(pk for pk in listed if pk not in kept), reads)
        body = _same_graph(kept, relinted)
        if body is None:
            for warning in relinted:
                kept.setdefault(warning["record"], []).append(warning)
            kept.update({pk: [] for pk in listed if pk not in kept})
            body = "".join(api_views._document(lambda: graph.graph_document(kept))).encode()
    _graph_lint.clear()
    _graph_lint.update(key=graph.lint_key(), reads={str(pk): ids for pk, ids in sorted(reads.items())})
    return body


def _same_graph(kept: dict[int, list[dict]], relinted: list[dict]) -> bytes | None:
    """The previous graph.json as it is, when nothing it shows changed but its `generated_at`: the same listed
    records with the same addresses and titles, entities and systems (their names too), roles, links between
    records, and the same warnings (`relinted`) for the records linted again (their version changed: a
    correction of a summary, say). None if anything differs: graph.json is then made again (it takes most of an
    incremental run)."""
    from caim.api import graph

    previous = _previous
    if previous.triggers & {"records", "named"}:
        return None
    changed = previous.changed
    for pk in changed:
        before, after = previous.old.get(pk), previous.new.get(pk)
        if _differs(before, after, "status", "record_type", "slug", "link_sig", "entities", "systems"):
            return None
    document = previous.cache["graph"]
    if [n for n in document["nodes"] if n["kind"] in ("entity", "system")] != graph.named_nodes(
        *graph.named()
    ):
        return None  # an entity or system renamed (no publication says so)
    touching = {f"record:{pk}" for pk in changed}
    was = {(e["source"], e["target"]) for e in document["edges"]
           if e["kind"] == "materialized_from" and {e["source"], e["target"]} & touching}  # fmt: skip
    if was != {(f"record:{a}", f"record:{b}") for a, b in graph.record_links(changed)}:
        return None
    if relinted != [w for w in document["validation_warnings"] if w["record"] not in kept]:
        return None
    return previous.cache["graph_body"]


def _kept_warnings() -> dict[int, list[dict]] | None:
    """The previous graph.json's warnings of each record listed then whose lint reads the same now: its version,
    status and address unchanged, and those of the records its document looks up (a `materialized_from` hazard
    withdrawn, say). None (lint everything) in a full export, or when the previous file or its lint key is
    missing, changed by hand, or made with another taxonomy."""
    from caim.api import graph

    previous = _previous
    if previous is None:
        return None
    lint = previous.manifest.header.get("lint") or {}
    if lint.get("key") != graph.lint_key():
        return None
    body = previous.intact("derived", "api/v3/graph.json")
    if body is None:
        return None
    changed = previous.changed
    stale = changed | {int(pk) for pk, ids in lint.get("reads", {}).items() if changed.intersection(ids)}
    document = json.loads(body)
    previous.cache.update(graph=document, graph_body=body)
    by_record = defaultdict(list)
    for warning in document["validation_warnings"]:
        by_record[warning["record"]].append(warning)
    return {
        pk: by_record.get(pk, []) for pk, s in previous.old.items() if s.status == LISTED and pk not in stale
    }


def entities_csv_unit() -> Iterator[Out]:
    from caim.api import bulk

    yield Out("api/v3/bulk/entities.csv", (), lambda: "".join(bulk.iter_entities_csv()).encode(), ("named",))


def sitemap_unit() -> Iterator[Out]:
    """sitemap.xml and its sections; pages after the first of a section are written as sitemap-<s>-<n>.xml.
    A page of sitemap-records.xml depends on the records on it (their addresses and dates) and on which records
    are listed (a record listed or gone moves every later one)."""
    from caim.records.models import PublicRecord

    site = settings.CAIM_SITE_URL.encode()

    def index() -> bytes:
        body = renderer().get("/sitemap.xml")
        return re.sub(rb"(" + re.escape(site) + rb"/sitemap-[a-z]+)\.xml\?p=(\d+)", rb"\1-\2.xml", body)

    yield Out("sitemap.xml", ALL, index)
    listed = list(PublicRecord.objects.listed().order_by("pk").values_list("pk", flat=True))
    per_page = _records_per_sitemap_page()
    for name, pages in plan().sitemap_pages.items():
        for number in range(1, pages + 1):
            url = f"/sitemap-{name}.xml" + (f"?p={number}" if number > 1 else "")
            path = sitemap_file(name, number)
            if name == "records":  # each record's address and the date of its current version
                on_page = listed[(number - 1) * per_page : number * per_page]
                yield Out(
                    path, tuple(on_page), lambda u=url, ids=on_page: records_sitemap(u, ids), ("records",)
                )
            else:  # fixed pages; entities and AI systems named in listed records
                yield _file(url, (), ("named",) if name != "pages" else (), path=path)


def sitemap_file(section: str, number: int) -> str:
    """The file of page `number` of a sitemap section: sitemap-<s>.xml, then sitemap-<s>-<n>.xml."""
    return f"sitemap-{section}.xml" if number == 1 else f"sitemap-{section}-{number}.xml"


def _records_per_sitemap_page() -> int:
    from caim.site import sitemaps

    return sitemaps.RecordsSitemap.limit // len(settings.LANGUAGES)


def records_sitemap(url: str, ids: list[int]) -> bytes:
    """A page of sitemap-records.xml (the records `ids`): in an incremental run, the previous pages' entries of
    the records that did not change and new entries for those that did (site/sitemaps.py, record_entries); as
    the site answers otherwise, or when the previous pages cannot be read."""
    from caim.site import sitemaps

    previous = _previous
    # (Without a whole number of records per page, a record's entries could straddle two pages.)
    if previous is None or sitemaps.RecordsSitemap.limit % len(settings.LANGUAGES):
        return renderer().get(url)
    per_page = _records_per_sitemap_page()
    listed_then = [pk for pk, state in sorted(previous.old.items()) if state.status == LISTED]
    position = {pk: i for i, pk in enumerate(listed_then)}
    keep = [pk for pk in ids if pk in position and pk not in previous.changed]
    entries: dict[int, bytes] = {}
    head = tail = None
    for number in sorted({position[pk] // per_page + 1 for pk in keep}):
        kept = _kept_sitemap_page(previous, number, listed_then[(number - 1) * per_page : number * per_page])
        if kept is None:
            return renderer().get(url)
        head, on_page, tail = kept
        entries.update(on_page)
    entries = {pk: entries[pk] for pk in keep}
    if head is None:  # nothing kept: the page is rendered whole
        return renderer().get(url)
    fresh = sitemaps.record_entries(pk for pk in ids if pk not in entries)
    return b"".join([head, *(entries[pk] if pk in entries else fresh[pk] for pk in ids), tail])


def _kept_sitemap_page(previous: Previous, number: int, records: list[int]):
    """(head, {record id: its entries}, tail) of page `number` of the previous sitemap-records.xml, which held
    `records`, read once; None when it is missing, was changed by hand, or does not hold them in order."""
    key = ("sitemap", number)
    if key in previous.cache:
        return previous.cache[key]
    previous.cache[key] = None
    languages = len(settings.LANGUAGES)
    body = previous.intact("sitemaps", sitemap_file("records", number))
    if body is None:
        return None
    head, *found = body.split(b"<url>")  # a split, not a regular expression: a page holds up to 50,000
    if (
        not found
        or len(found) != languages * len(records)
        or not all(f.endswith(b"</url>") for f in found[:-1])
    ):
        return None
    stop = found[-1].rfind(b"</url>") + len(b"</url>")
    found, tail = [b"<url>" + f for f in found[:-1]] + [b"<url>" + found[-1][:stop]], found[-1][stop:]
    entries = {}
    for i, pk in enumerate(records):
        piece = b"".join(found[i * languages : (i + 1) * languages])
        state = previous.old[pk]
        if f"/{_kind_path(state.record_type)}/{state.slug}/</loc>".encode() not in piece:
            return None  # not the record expected here
        entries[pk] = piece
    previous.cache[key] = (head, entries, tail)
    return previous.cache[key]


def redirects_unit() -> Iterator[Out]:
    """_redirects (Netlify, Cloudflare Pages): every address that redirects, with its target."""
    yield Out("_redirects", ALL, redirects_file)


def redirects_file() -> bytes:
    from caim.records.models import EntityRedirect, PublicRecord, SlugRedirect

    lines = ["# Made by caim export-site: addresses of the live site that redirect.",
             f"/favicon.ico /{settings.STATIC_URL.strip('/')}/caim/favicon.svg 301"]  # fmt: skip
    records = {pk: (kind, slug, merged) for pk, kind, slug, merged in
               PublicRecord.objects.values_list("pk", "record_type", "slug", "merged_into_id")}  # fmt: skip
    old = defaultdict(list)
    for pk, slug in SlugRedirect.objects.order_by("old_slug").values_list("record_id", "old_slug"):
        old[pk].append(slug)
    for pk in sorted(records):
        kind, slug, merged = records[pk]
        target = records.get(merged, (kind, slug, None))[1] if merged else slug
        addresses = [str(pk), *old[pk]] + ([slug] if merged else [])
        for ident in addresses:
            for prefix in ("", "/fr"):
                lines.append(
                    f"{prefix}/{_kind_path(kind)}/{ident}/* {prefix}/{_kind_path(kind)}/{target}/:splat 301"
                )
            lines.append(f"/api/v3/records/{ident}.json /api/v3/records/{target}.json 301")
            lines.append(f"/api/v3/records/{ident}/versions.json /api/v3/records/{target}/versions.json 301")
    for old_slug, slug in EntityRedirect.objects.order_by("old_slug").values_list("old_slug", "entity__slug"):
        for prefix in ("", "/fr"):
            lines.append(f"{prefix}/entities/{old_slug}/ {prefix}/entities/{slug}/ 301")
    return ("\n".join(lines) + "\n").encode()


def entity_redirects_unit() -> Iterator[Out]:
    from caim.records.models import EntityRedirect

    for old_slug, slug in EntityRedirect.objects.order_by("old_slug").values_list("old_slug", "entity__slug"):
        for lang in LANGS:
            prefix = "/fr" if lang == "fr" else ""
            target = f"{prefix}/entities/{slug}/"
            yield Out(
                file_for(f"{prefix}/entities/{old_slug}/"), (), lambda t=target, la=lang: redirect_page(t, la)
            )


def headers() -> bytes:
    """_headers (Netlify, Cloudflare Pages): the live site's security headers, with one addition: the policy
    allows WebAssembly ('wasm-unsafe-eval'), which Pagefind's search runs in the browser."""
    from caim.site.middleware import CONTENT_SECURITY_POLICY

    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
    lines = ["/*", f"  Content-Security-Policy: {policy}", "  X-Content-Type-Options: nosniff",
             "  Referrer-Policy: strict-origin-when-cross-origin", "  X-Frame-Options: DENY",
             "  Cross-Origin-Opener-Policy: same-origin",
             "  Permissions-Policy: camera=(), microphone=(), geolocation=(), interest-cohort=()"]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def readme() -> bytes:
    site = settings.CAIM_SITE_URL
    return f"""Static copy of {site}/ made by `caim export-site` (see docs/static-export.md in the source).

Serve this folder as it is: any web server or object store works. A page is a folder with an index.html;
files ending in .gz are gzip copies for servers that send them as they are (nginx gzip_static).
Absolute addresses (canonical links, feeds, citations) name {site}: make the export with
CAIM_SITE_URL set to the address the copy is served at.

What needs the live server and is not here:
- the query API (/api/v3/records?...), /api/docs and the OpenAPI document;
- the server's search (/search/?q=...): this copy's search page uses the Pagefind index in /pagefind/ (record pages,
  in the page's language, in the browser);
- lists with several filters, words, another sort, a year range, or a filter past its first page; list
  downloads for a filter (the whole list's downloads are here); the filter form opens the pages that exist;
- the staff area (/staff/), sign-in and anything that writes.

_redirects lists the addresses that redirect (record ids, earlier slugs, merged records, merged entities); each
of those page addresses also has a small HTML page that redirects. _headers holds the site's security headers.
manifest.json lists every file with its size, SHA-256 and the records it depends on (the records' own files
are listed in the files of manifest/, which manifest.json names under "shards").
""".encode()


# -- the units, by name ---------------------------------------------------------------------------------------


GLOBAL_UNITS: dict[str, Callable[[], Iterator[Out]]] = {
    "home": home_unit,
    "feeds": feeds_unit,
    "stats": stats_unit,
    "corrections": corrections_unit,
    "fixed": fixed_unit,
    "derived": derived_unit,
    "directory-lists": directory_lists_unit,
    "entities-csv": entities_csv_unit,
    "sitemaps": sitemap_unit,
    "redirects": redirects_unit,
    "entity-redirects": entity_redirects_unit,
}


def list_unit_names() -> list[tuple[str, Callable[[], Iterator[Out]]]]:
    """The list pages in units of up to 100 pages, and the filter pages, per type and language."""
    out = []
    for record_type, pages in plan().list_pages.items():
        for lang in LANGS:
            for start in range(1, pages + 1, 100):
                stop = min(pages + 1, start + 100)
                out.append((f"list:{record_type}:{lang}:{start}",
                            lambda t=record_type, la=lang, a=start, b=stop: list_unit(t, la, a, b)))  # fmt: skip
            out.append((f"facets:{record_type}:{lang}", lambda t=record_type, la=lang: facet_unit(t, la)))
    return out


# -- tasks: what one worker does ------------------------------------------------------------------------------


@dataclass
class TaskResult:
    units: dict[str, list[list]]  # unit name -> manifest rows of its files
    kept: dict[str, list[str]]  # unit name -> paths yielded but not rendered (unchanged, incremental)
    changed: list[str]
    seconds: float
    kind: str
    layouts: dict = field(default_factory=dict)  # sequence file -> its layout (the corpus task)
    unbuilt: list[str] = field(default_factory=list)  # sequence files left to build whole (write_corpus)
    corpus_rows: dict = field(default_factory=dict)  # sequence file -> the manifest rows of it and its copies
    lint: dict = field(default_factory=dict)  # what graph.json's warnings depend on, if made (see graph_json)


def run_units(
    named: Iterable[tuple[str, Iterator[Out]]],
    writer: Writer,
    want: Callable[[str, Out], bool] | None = None,
    kind: str = "",
) -> TaskResult:
    started = time.perf_counter()
    units: dict[str, list[list]] = {}
    kept: dict[str, list[str]] = {}
    for name, outs in named:
        rows = units.setdefault(name, [])
        kept.setdefault(name, [])
        for out in outs:
            if want is not None and not want(name, out):
                kept[name].append(out.path)
                continue
            rows.extend(writer.write(out, out.make()))
    return TaskResult(units, kept, writer.changed, time.perf_counter() - started, kind)


# The state every worker reads (set in the parent before the workers start: they inherit it).
_task_context: dict = {}


def run_task(task: tuple) -> TaskResult:
    kind = task[0]
    writer = Writer(_task_context["out"])
    if kind == "records":
        ids = task[1]
        states = _task_context["states"]
        return run_units(record_units(ids, states), writer, kind="records")
    if kind == "entities":
        return run_units(entity_units(task[1]), writer, kind="entities")
    if kind == "systems":
        return run_units(system_units(task[1]), writer, kind="systems")
    if kind == "corpus":
        return corpus_task(writer)
    if kind == "list":
        name = task[1]
        make = dict(list_unit_names())[name]
        return run_units([(name, make())], writer, kind="lists")
    name = task[1]
    _graph_lint.clear()
    result = run_units([(name, GLOBAL_UNITS[name]())], writer, kind=name)
    result.lint = dict(_graph_lint)
    return result


# -- the corpus files: records.json, the bulk files, the list downloads ---------------------------------------


def corpus_pieces(ids: Iterable[int]) -> dict[int, dict[str, bytes]]:
    """For each listed record of `ids`: its records.json entry (also a list download's), its records.jsonl line,
    its CSV row and its sources' rows, as api/corpus.py and api/bulk.py write them."""
    from caim.api import bulk, corpus

    ids = sorted(ids)
    out = {}
    lines = bulk.CsvLines()
    for start in range(0, len(ids), corpus.CHUNK):
        chunk = list(corpus.public_records().filter(pk__in=ids[start : start + corpus.CHUNK]))
        for public, entry in zip(chunk, bulk.entries(chunk), strict=True):
            text = corpus.dumps(entry)
            out[public.pk] = {
                "json": text.encode(),
                "jsonl": (text + "\n").encode(),
                "csv": lines.row(bulk.record_row(entry)).encode(),
                "sources": "".join(
                    lines.row([public.pk, *(s.get(name) for name in bulk.SOURCE_COLUMNS[1:])])
                    for s in public.version.document["sources"]
                ).encode(),
            }
    return out


def corpus_specs() -> dict[str, tuple[bytes, bytes, bytes, list[int], str]]:
    """Each sequence file: (prefix, suffix, separator, record order, piece kind)."""
    from caim.api import bulk, corpus
    from caim.records.models import PublicRecord
    from caim.records.versions import SCHEMA_VERSION
    from caim.site import lists

    now = timezone.now().isoformat()
    listed = sorted(PublicRecord.objects.listed().values_list("pk", flat=True))
    meta = {"generated_at": now, "record_count": len(listed), "schema_version": SCHEMA_VERSION}
    lines = bulk.CsvLines()
    specs = {
        "api/v3/records.json": (
            f'{{"meta":{corpus.dumps(meta)},"records":['.encode(),
            b"]}\n",
            b",",
            listed,
            "json",
        ),
        "api/v3/bulk/records.jsonl": (b"", b"", b"", listed, "jsonl"),
        "api/v3/bulk/records.csv": (lines.row(bulk.RECORD_COLUMNS).encode(), b"", b"", listed, "csv"),
        "api/v3/bulk/sources.csv": (lines.row(bulk.SOURCE_COLUMNS).encode(), b"", b"", listed, "sources"),
    }
    index = lists.get_index()
    for record_type in ("incident", "hazard"):
        state = lists.ListState(record_type=record_type)
        order = lists.matching_ids(state, index)
        meta = {"generated_at": now, "schema_version": SCHEMA_VERSION, "record_type": record_type,
                "record_count": len(order), "filters": {}, "sort": state.sort, "licence": bulk.licence()}  # fmt: skip
        kind = _kind_path(record_type)
        specs[f"{kind}/download.csv"] = (lines.row(bulk.RECORD_COLUMNS).encode(), b"", b"", order, "csv")
        specs[f"{kind}/download.json"] = (f'{{"meta":{corpus.dumps(meta)},"records":['.encode(), b"]}\n", b",",
                                          order, "json")  # fmt: skip
    return specs


def corpus_task(writer: Writer) -> TaskResult:
    """The sequence files of a full export, whole (an incremental run rebuilds them from the pieces of the
    changed records: read_corpus, write_corpus). The French list pages link the same downloads under /fr/."""
    started = time.perf_counter()
    return write_corpus(writer, read_corpus(), started)


@dataclass
class CorpusInput:
    """What the sequence files are made of, read from the database beforehand, so that making them needs no
    database (an incremental export makes them in a process of its own while it renders pages)."""

    specs: dict[str, tuple[bytes, bytes, bytes, list[int], str]]
    pieces: dict[int, dict[str, bytes]]
    old: dict | None  # {path: {"layout", "sha256"}} of the previous export's files (None: build them whole)
    threads: int


def read_corpus(old: dict | None = None, touched: set[int] | None = None) -> CorpusInput:
    """Every record's pieces, or (with `old`) those of the `touched` records: the others are in the previous
    files."""
    specs = corpus_specs()
    listed = specs["api/v3/records.json"][3]
    pieces = corpus_pieces(listed if old is None else set(touched or ()) & set(listed))
    threads = max(1, min(4, os.cpu_count() or 1)) if old is None else 1
    return CorpusInput(specs, pieces, old, threads)


def write_corpus(writer: Writer, given: CorpusInput, started: float) -> TaskResult:
    """The sequence files from `given` and the previous files, without the database. A file whose previous copy
    cannot be read back (changed by hand, say) is left out, named in the result's `unbuilt`: complete_corpus
    reads every record's piece for it."""
    rows, layouts, unbuilt = {}, {}, []
    pieces = given.pieces
    for path, (prefix, suffix, sep, order, kind) in given.specs.items():
        previous = None
        if given.old is not None:
            entry = given.old.get(path) or {}
            previous = sequences.read_old(writer.out, path, entry.get("layout"), entry.get("sha256"))
            held = {pk for pk, _length in previous[0].pieces} if previous is not None else set()
            if previous is None or any(pk not in pieces and pk not in held for pk in order):
                unbuilt.append(path)
                continue
        built = sequences.build(
            prefix, suffix, sep, order, lambda pk, k=kind: pieces[pk][k] if pk in pieces else None,
            old=previous, threads=given.threads,
        )  # fmt: skip
        targets = [path, f"fr/{path}"] if path.endswith(("download.csv", "download.json")) else [path]
        rows[path] = [writer.write_raw(target, built.plain, ALL) for target in targets]
        rows[path] += [writer.write_raw(f"{target}.gz", built.packed, ALL) for target in targets]
        layouts[path] = {**built.layout.as_json(), "stamp": sequences.stamp(writer.out, path)}
    result = TaskResult(
        {"corpus": []}, {"corpus": []}, writer.changed, time.perf_counter() - started, "corpus"
    )
    result.layouts, result.unbuilt, result.corpus_rows = layouts, unbuilt, rows
    return _corpus_result(given, result)


def complete_corpus(writer: Writer, given: CorpusInput, result: TaskResult) -> TaskResult:
    """write_corpus's result with the files it could not build from the previous ones built whole."""
    if not result.unbuilt:
        return result
    orders = [given.specs[path][3] for path in result.unbuilt]
    pieces = {**given.pieces, **corpus_pieces({pk for order in orders for pk in order} - set(given.pieces))}
    whole = CorpusInput({path: given.specs[path] for path in result.unbuilt}, pieces, None, given.threads)
    rest = write_corpus(writer, whole, time.perf_counter())
    result.corpus_rows.update(rest.corpus_rows)
    result.layouts.update(rest.layouts)
    result.unbuilt = []
    result.seconds += rest.seconds
    return _corpus_result(given, result)


def _corpus_result(given: CorpusInput, result: TaskResult) -> TaskResult:
    """The "corpus" unit's rows in the order of the files (whatever order they were written in)."""
    result.units["corpus"] = [row for path in given.specs for row in result.corpus_rows.get(path, [])]
    return result


# -- the manifest ---------------------------------------------------------------------------------------------


SHARDS = "manifest"  # the folder of the manifest's record units, RECORDS_PER_SHARD records to a file
RECORDS_PER_SHARD = 1000


def shard_of(unit: str) -> str | None:
    """The file that holds a record unit's line (None: manifest.json holds it)."""
    kind, _sep, rest = unit.partition(":")
    return (
        f"{SHARDS}/records-{int(rest) // RECORDS_PER_SHARD}.json"
        if kind == "record" and rest.isdigit()
        else None
    )


def _unit_lines(lines: list[bytes]) -> dict[str, bytes]:
    """Unit name -> its line (without the comma), from the lines of a manifest file's "units" object."""
    units = {}
    for line in lines:
        if line.startswith(b'"') and line != b'"units": {':
            raw = line[1 : line.index(b'": ')]
            name = json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode()
            units[name] = line.removesuffix(b",")
    return units


@dataclass
class Manifest:
    """manifest.json: a header (format, site, state of the public layer, layouts of the sequence files, the
    search index's delta, the shard files), then one line per unit with its files: [path, size, sha256, deps,
    groups]. The record units' lines are in shard files under manifest/ (`{"units": {...}}`, a thousand records
    to a file), each read when one of its units is asked for and written when one of them changed: an
    incremental run reads and writes a few megabytes instead of the whole list of files."""

    header: dict
    unit_lines: dict[str, bytes]  # unit name -> its line, without the comma (parsed only when needed)
    out: Path | None = None
    shard_files: list[str] = field(default_factory=list)  # the shard files written, as the header lists them
    shards: dict[str, dict[str, bytes]] = field(
        default_factory=dict
    )  # shard file -> its units' lines, once read
    changed_shards: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, out: Path) -> Manifest:
        lines = (out / MANIFEST).read_bytes().split(b"\n")
        if not lines or lines[0] != b"{":
            raise ExportError(f"{out / MANIFEST} is not a manifest of caim export-site.")
        units_at = lines.index(b'"units": {') if b'"units": {' in lines else len(lines)
        header = {}
        for line in lines[1:units_at]:
            if line.startswith(b'"'):
                header.update(json.loads(b"{" + line.removesuffix(b",") + b"}"))
        if header.get("format") != FORMAT:
            raise ExportError(
                f"{out / MANIFEST} was written by another version of the export ({header.get('format')}): "
                "make a full export."
            )
        return cls(header, _unit_lines(lines[units_at + 1 :]), out, list(header.get("shards", [])))

    def _shard(self, path: str) -> dict[str, bytes]:
        if path not in self.shards:
            file = self.out / path if self.out is not None else None
            found = file is not None and path in self.shard_files and file.is_file()
            self.shards[path] = _unit_lines(file.read_bytes().split(b"\n")[1:]) if found else {}
        return self.shards[path]

    def line(self, unit: str) -> bytes | None:
        shard = shard_of(unit)
        return self.unit_lines.get(unit) if shard is None else self._shard(shard).get(unit)

    def set_rows(self, unit: str, rows: list[list] | None) -> None:
        """A unit's files from now on (None or no rows: the unit is gone)."""
        shard = shard_of(unit)
        lines = self.unit_lines if shard is None else self._shard(shard)
        if rows:
            lines[unit] = self.unit_line(unit, rows)
        else:
            lines.pop(unit, None)
        if shard is not None:
            self.changed_shards.add(shard)

    def rows(self, unit: str) -> list[list]:
        line = self.line(unit)
        if line is None:
            return []
        return json.loads(line[line.index(b'": ') + 3 :])

    def units(self) -> list[str]:
        """Every unit's name (every shard is read)."""
        for path in self.shard_files:
            self._shard(path)
        return [*self.unit_lines, *(unit for lines in self.shards.values() for unit in lines)]

    def all_paths(self) -> Iterator[str]:
        for unit in self.units():
            for row in self.rows(unit):
                yield row[0]

    @staticmethod
    def unit_line(unit: str, rows: list[list]) -> bytes:
        return (
            json.dumps(unit) + ": " + json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        ).encode()

    def write(self, out: Path) -> None:
        """The changed shard files, then manifest.json, each by renaming a whole file into place: killed in
        between, the shards already describe the files on disk and the header an older state, which the next
        incremental run brings up to date."""
        (out / STAGING).mkdir(exist_ok=True)
        (out / SHARDS).mkdir(exist_ok=True)
        unread = [path for path in self.shard_files if path not in self.shards]
        for path in sorted(self.changed_shards):
            if self.shards[path]:
                self._write_file(out, path, [b"{"], self.shards[path])
            elif (out / path).is_file():  # its records' units are all gone
                (out / path).unlink()
        self.changed_shards.clear()
        self.shard_files = sorted({*unread, *(path for path, lines in self.shards.items() if lines)})
        self.header["shards"] = self.shard_files
        head = [b"{"] + [(json.dumps(key) + ": " + json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                          + ",").encode() for key, value in self.header.items()]  # fmt: skip
        self._write_file(out, MANIFEST, head, self.unit_lines)

    @staticmethod
    def _write_file(out: Path, path: str, head: list[bytes], units: dict[str, bytes]) -> None:
        partial = out / STAGING / (path.replace("/", "-") + ".part")
        with partial.open("wb") as file:
            file.write(b"\n".join([*head, b'"units": {']) + b"\n")
            file.write(b",\n".join(units[name] for name in sorted(units, key=unit_order)))
            file.write(b"\n}\n}\n")
        os.replace(partial, out / path)


def unit_order(name: str) -> tuple:
    kind, _sep, rest = name.partition(":")
    return (kind, int(rest) if rest.isdigit() else 0, rest)


# -- the output folder ----------------------------------------------------------------------------------------


def check_out(out: Path, incremental: bool) -> Path:
    """The output folder, made if missing; refuse one that cannot hold an export (the message says why)."""
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder.")
    if not out.exists():
        if incremental:
            raise ExportError(f"{out} does not exist: make a full export first (without --incremental).")
        if not out.parent.is_dir():
            raise ExportError(f"The folder {out.parent} does not exist.")
        try:
            out.mkdir()
        except OSError as exc:
            raise ExportError(f"Cannot create {out}: {exc.strerror}.") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise ExportError(f"{out} is not writable.")
    has_manifest = (out / MANIFEST).is_file()
    if incremental and not has_manifest:
        raise ExportError(f"{out} holds no {MANIFEST}: make a full export first (without --incremental).")
    if not has_manifest and any(out.iterdir()) and not (out / STAGING).is_dir():
        raise ExportError(
            f"{out} is not empty and holds no {MANIFEST} of an earlier export: choose an empty or new folder "
            "(the export would mix its files with others)."
        )
    return out


def begin_export(out: Path) -> None:
    """A clean staging folder. One left behind means an export was killed: if the folder had no manifest yet (its
    first export), nothing says which of its files are whole and current, so they are all removed and the export
    starts again; after an earlier export, the manifest and the files it lists are whole (written by renaming)."""
    staging = out / STAGING
    if staging.is_dir() and not (out / MANIFEST).is_file():
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    elif staging.is_dir():  # the killed export's half-written files, beside the whole ones
        for folder, _dirs, names in os.walk(out):
            for name in names:
                if name.endswith(PART):
                    os.unlink(os.path.join(folder, name))
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()


def _remove(out: Path, paths: Iterable[str]) -> int:
    removed = 0
    folders = set()
    for path in paths:
        target = out / path
        if target.is_file():
            target.unlink()
            removed += 1
            folders.add(target.parent)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):  # empty folders go too
        while folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return removed


def _walk(out: Path, folder: str, groups: tuple[str, ...], deps: tuple[int, ...] = ()) -> list[list]:
    """Manifest rows of the files under a folder written by another program (Pagefind), with compressed copies
    of its scripts and styles."""
    rows = []
    root = out / folder
    if not root.is_dir():
        return rows
    writer = Writer(out)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith((".gz", ".br"))):
        name = path.relative_to(out).as_posix()
        rows += writer.write(Out(name, deps, lambda: b"", groups), path.read_bytes())
    return rows


# -- running an export ----------------------------------------------------------------------------------------


@dataclass
class Summary:
    files: int = 0
    bytes: int = 0
    written: int = 0  # files written in this run (an incremental run leaves unchanged files alone)
    removed: int = 0
    seconds: float = 0.0
    records: int = 0  # public records whose files were rendered
    changed_records: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # kind of work -> seconds (summed over workers)
    notes: list[str] = field(default_factory=list)
    nothing_changed: bool = False


Progress = Callable[[str, int, int], None]  # (what, done, total)


def export_site(out: Path, *, incremental: bool = False, workers: int | None = None,
                progress: Progress | None = None) -> Summary:  # fmt: skip
    """Write the site to `out` (see the module's docstring). Raises ExportError with a message for people."""
    out = check_out(out, incremental)
    begin_export(out)
    global _plan, _renderer, _previous
    _plan, _renderer, _previous = None, None, None
    VersionPages.checked, VersionPages.derive = False, True
    VersionPages.direct_checked, VersionPages.direct = False, True
    Direct.checked.clear()
    Direct.failed.clear()
    if incremental:
        summary = _incremental(out, progress or (lambda *a: None))
    else:
        summary = _full(
            out, workers if workers is not None else (os.cpu_count() or 1), progress or (lambda *a: None)
        )
    shutil.rmtree(out / STAGING)  # only once complete: left behind, it marks an interrupted export
    return summary


def _header(states: dict[int, RecordState], layouts: dict, search: dict, lint: dict | None,
            read_at: datetime) -> dict:  # fmt: skip
    from caim.records.models import PublicState

    return {
        "format": FORMAT,
        "site_url": settings.CAIM_SITE_URL,
        "generated_at": timezone.now().isoformat(),
        "public_state": PublicState.current(),
        "read_at": read_at.isoformat(),  # when `records` was read: the change log says what changed since
        "note": "files: [path, size, sha256, record ids it depends on or 'all', groups of changes that alter it]",
        "records": {str(pk): state.as_json() for pk, state in sorted(states.items())},
        "plan": plan().as_json(),
        "sequences": layouts,
        "search": search,
        "lint": lint or {},  # graph.json's warnings: what they depend on (see graph_json)
    }


def _tasks(states: dict[int, RecordState]) -> tuple[list[tuple], int]:
    """Every task of a full export, the longest first; and how many of them render records."""
    from caim.site import directory

    record_ids = sorted(states)
    entity_ids = sorted(directory.public_entities().values_list("pk", flat=True))
    system_ids = sorted(directory.public_systems().values_list("pk", flat=True))
    first = [("global", "derived"), ("global", "sitemaps"), ("corpus",), ("global", "stats")]
    records = [
        ("records", record_ids[i : i + RECORDS_PER_TASK]) for i in range(0, len(record_ids), RECORDS_PER_TASK)
    ]
    rest = [("global", name) for name in GLOBAL_UNITS if ("global", name) not in first]
    rest += [("list", name) for name, _make in list_unit_names()]
    rest += [
        ("entities", entity_ids[i : i + ENTITIES_PER_TASK])
        for i in range(0, len(entity_ids), ENTITIES_PER_TASK)
    ]
    rest += [
        ("systems", system_ids[i : i + ENTITIES_PER_TASK])
        for i in range(0, len(system_ids), ENTITIES_PER_TASK)
    ]
    return first + records + rest, len(records)


def _full(out: Path, workers: int, progress: Progress) -> Summary:
    from django.db import connections

    started = time.perf_counter()
    summary = Summary()
    previous = Manifest.read(out) if (out / MANIFEST).is_file() else None
    progress("Reading the public layer", 0, 0)
    read_at = timezone.now()
    states = public_state()
    plan()
    renderer().get(
        "/"
    )  # the list index, compiled templates and caches, made once before the workers copy them
    tasks, record_tasks = _tasks(states)
    _task_context.update(out=out, states=states)
    units: dict[str, list[list]] = {}
    layouts: dict = {}
    lint: dict = {}
    indexer = None
    done_records = 0

    def collect(result: TaskResult) -> None:
        nonlocal done_records, indexer
        units.update(result.units)
        summary.timings[result.kind] = summary.timings.get(result.kind, 0.0) + result.seconds
        layouts.update(result.layouts)
        lint.update(result.lint)
        if result.kind == "records":
            done_records += 1
            if done_records == record_tasks:  # every record page is written: index them meanwhile
                indexer = pagefind.start_main_index(out, out / STAGING)

    if record_tasks == 0:
        indexer = pagefind.start_main_index(out, out / STAGING)
    # What is read so far (the public state, the plan, the list index, Django's caches) lives to the end: frozen,
    # the garbage collector no longer walks it at each of its passes in the workers, which inherit it, nor here
    # (a fifth of a record unit's CPU, measured).
    gc.freeze()
    try:
        if workers > 1:
            import multiprocessing

            connections.close_all()  # each worker opens its own connection
            with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_started) as pool:
                for i, result in enumerate(pool.imap_unordered(run_task, tasks, chunksize=1), start=1):
                    collect(result)
                    progress("Rendering pages and files", i, len(tasks))
        else:
            for i, task in enumerate(tasks, start=1):
                collect(run_task(task))
                progress("Rendering pages and files", i, len(tasks))
    finally:
        gc.unfreeze()
    progress("Indexing the record pages for search (Pagefind)", 0, 0)
    index_started = time.perf_counter()
    problem = pagefind.finish(indexer, out, out / STAGING)
    summary.timings["pagefind"] = time.perf_counter() - index_started
    if problem:
        summary.notes.append(f"No search index: {problem}")
    units["search-index"] = _walk(out, pagefind.BUNDLE, ("search",))
    shutil.rmtree(out / pagefind.DELTA_BUNDLE, ignore_errors=True)
    writer = Writer(out)
    units["search-delta"] = [writer.write_raw(pagefind.DELTA_STATE, pagefind.delta_state(False, []), ())]
    manifest = Manifest(_header(states, layouts, {"delta_records": [], "superseded": []}, lint, read_at), {})
    for name, rows in units.items():
        manifest.set_rows(name, rows)
    if previous is not None:
        written = {row[0] for rows in units.values() for row in rows}
        summary.removed = _remove(out, (p for p in previous.all_paths() if p not in written))
    progress("Writing the manifest", 0, 0)
    manifest.write(out)
    for shard in (out / SHARDS).glob("*.json"):  # those of an earlier export that no record fills any more
        if f"{SHARDS}/{shard.name}" not in manifest.shard_files:
            shard.unlink()
    all_rows = [row for rows in units.values() for row in rows]
    summary.files = len(all_rows)
    summary.written = len(all_rows)
    summary.bytes = sum(row[1] for row in all_rows)
    summary.records = len(states)
    summary.seconds = time.perf_counter() - started
    return summary


def _worker_started() -> None:
    global _renderer, _factory
    _renderer, _factory = None, None
    # Pagefind runs beside the last tasks and alone after them, on fewer cores than there are: with the workers a
    # little lower in priority it takes its share first and the workers fill the rest, so that the cores stay busy
    # to the end (measured: the export ends sooner). Also leaves a live site on the same machine the first claim.
    os.nice(WORKER_NICENESS)
    VersionPages.checked = VersionPages.direct_checked = False
    Direct.checked.clear()


def _differs(old: RecordState | None, new: RecordState | None, *attributes: str) -> bool:
    if old is None or new is None:
        return old is not new
    return any(getattr(old, a) != getattr(new, a) for a in attributes)


@dataclass
class Previous:
    """The previous export as an incremental run reuses it (graph.json's warnings, the sitemap's entries): its
    folder and manifest, the state of the public layer it was made from, and the records whose version, status
    or address changed since."""

    out: Path
    manifest: Manifest
    old: dict[int, RecordState]
    changed: set[int]
    new: dict[int, RecordState] = field(default_factory=dict)  # the state now
    triggers: set[str] = field(default_factory=set)  # the groups of changes (see Out.groups)
    cache: dict = field(default_factory=dict)  # what was read from it, once

    @property
    def header_plan(self) -> dict | None:
        return self.manifest.header.get("plan")

    def intact(self, unit: str, path: str) -> bytes | None:
        """A file of the previous export, if it is as its manifest says (not changed by hand since)."""
        row = next((row for row in self.manifest.rows(unit) if row[0] == path), None)
        target = self.out / path
        if row is None or not target.is_file():
            return None
        body = target.read_bytes()
        return body if digest(body) == row[2] else None


_previous: Previous | None = None  # set during an incremental run


def _incremental(out: Path, progress: Progress) -> Summary:
    started = time.perf_counter()
    summary = Summary()
    manifest = Manifest.read(out)
    if manifest.header.get("site_url") != settings.CAIM_SITE_URL:
        raise ExportError(
            f"{out} was exported for {manifest.header.get('site_url')}, not {settings.CAIM_SITE_URL} "
            "(CAIM_SITE_URL): make a full export."
        )
    progress("Comparing the public layer with the manifest", 0, 0)
    old = {int(pk): RecordState.from_json(row) for pk, row in manifest.header["records"].items()}
    read_at = timezone.now()
    new = current_state(old, manifest.header.get("read_at"))
    changed = {pk for pk in old.keys() | new.keys()
               if _differs(old.get(pk), new.get(pk), "version", "status", "slug", "record_type", "old_slugs",
                           "merged_into")}  # fmt: skip
    # What changed, by the way pages show a record: itself (a new version, or new related records), as a link
    # (address, title, badges), as a list row (a link and its summary).
    relinked = {pk for pk in old.keys() & new.keys() if old[pk].links != new[pk].links} - changed
    as_itself = changed | relinked
    as_link = {pk for pk in changed if _differs(old.get(pk), new.get(pk), "link_sig", "status")}
    as_row = {pk for pk in changed if _differs(old.get(pk), new.get(pk), "row_sig", "status")}
    touched = as_itself | {pk for states in (old, new) for pk, s in states.items() if set(s.links) & as_link}
    triggers = set()
    listed_before = {pk for pk, s in old.items() if s.status == LISTED}
    listed_now = {pk for pk, s in new.items() if s.status == LISTED}
    if listed_before != listed_now:
        triggers |= {"records", "list:incident", "list:hazard", "named", "stats"}
    for pk in changed:
        before, after = old.get(pk), new.get(pk)
        if _differs(before, after, "list_sig", "status", "record_type"):
            triggers |= {f"list:{s.record_type}" for s in (before, after) if s is not None}
        named_before = ({e.split(":")[0] for e in before.entities}, before.systems) if before else None
        named_after = ({e.split(":")[0] for e in after.entities}, after.systems) if after else None
        if named_before != named_after or _differs(before, after, "status"):
            triggers.add("named")
        if _differs(before, after, "stats_sig", "status", "record_type"):
            triggers.add("stats")
    if not as_itself and not triggers:
        summary.nothing_changed = True
        summary.seconds = time.perf_counter() - started
        return summary

    def named_by(attribute: str) -> tuple[list[int], set[int]]:
        """Entities (or systems) named by a changed record, before or after; those it stopped or started
        naming, or names in another role (their pages gain, lose or move a record)."""
        every, moved = set(), set()
        for pk in changed:
            before = set(getattr(old[pk], attribute)) if pk in old else set()
            after = set(getattr(new[pk], attribute)) if pk in new else set()
            if _differs(old.get(pk), new.get(pk), "status"):
                moved |= before | after
            every |= before | after
            moved |= before ^ after
        ids = lambda values: {int(str(v).split(":")[0]) for v in values}  # noqa: E731
        return sorted(ids(every)), ids(moved)

    global _plan
    if not triggers & {"records", "list:incident", "list:hazard", "named"} and "plan" in manifest.header:
        _plan = Plan.from_json(manifest.header["plan"])  # no page appeared or went: the same pages as before
        _plan.correction_pages = correction_pages()
    entity_ids, moved_entities = named_by("entities")
    system_ids, moved_systems = named_by("systems")
    forced = {f"entity:{pk}" for pk in moved_entities} | {f"system:{pk}" for pk in moved_systems}
    forced |= {f"record:{pk}" for pk in changed}

    old_rows: dict[str, dict[str, list]] = {}

    def rows_of(unit: str) -> dict[str, list]:
        if unit not in old_rows:
            old_rows[unit] = {row[0]: row for row in manifest.rows(unit)}
        return old_rows[unit]

    # Records with a new address: the files that depend only on their address and on one version change too.
    readdressed = {
        pk for pk in changed if _differs(old.get(pk), new.get(pk), "slug", "record_type", "status")
    }

    def want(unit: str, out: Out) -> bool:
        if out.path not in rows_of(unit):
            return True
        if out.settled:
            return bool(set(out.deps) & readdressed)
        if unit in forced or out.deps == ALL:
            return True
        return bool(
            set(out.deps) & as_itself or set(out.links) & as_link or set(out.rows) & as_row
            or set(out.groups) & triggers
        )  # fmt: skip

    named: list[tuple[str, Iterator[Out]]] = []
    skip = {"fixed", "entity-redirects"} | (
        {"directory-lists", "entities-csv"} if "named" not in triggers else set()
    )
    named += [(name, make()) for name, make in GLOBAL_UNITS.items() if name not in skip]
    named += [(name, make()) for name, make in list_unit_names()]
    named += list(record_units(sorted(touched), new))
    named += list(entity_units(entity_ids)) + list(system_units(system_ids))
    unit_names = [name for name, _outs in named]
    for unit in unit_names:
        rows_of(unit)
    writer = Writer(out, {path: row for unit in unit_names for path, row in rows_of(unit).items()})
    progress("Rendering what changed", 0, 0)
    global _previous
    _previous = Previous(out, manifest, old, changed, new, triggers)
    _graph_lint.clear()
    # The sequence files are made meanwhile in a process of their own (hashing, compressing and writing
    # hundreds of megabytes, and joining thousands of pieces: in a thread, the pieces held the GIL that the pages
    # need; measured 1.1-1.7 s in a thread against 0.7 s alone).
    corpus_started = time.perf_counter()
    given = read_corpus(old=_sequence_hashes(manifest), touched=touched | changed)
    corpus_writer = Writer(out, {row[0]: row for row in manifest.rows("corpus")})  # unchanged files stay
    corpus_result = _beside(lambda: write_corpus(corpus_writer, given, corpus_started))
    try:
        result = run_units(named, writer, want, kind="incremental")
    finally:
        _previous = None
        corpus = corpus_result()
        writer.changed += corpus.changed
        corpus = complete_corpus(writer, given, corpus)
    summary.timings["pages"] = result.seconds
    summary.timings["corpus"] = corpus.seconds
    # The units' new rows: written files, and the previous rows of files that did not need rendering.
    removed: list[str] = []
    for unit in unit_names:
        before = rows_of(unit)
        rows = list(result.units.get(unit, []))
        produced = {row[0] for row in rows}
        for path in result.kept.get(unit, []):
            for name in (path, f"{path}.gz", f"{path}.br"):
                if name in before and name not in produced:
                    rows.append(before[name])
                    produced.add(name)
        removed += [path for path in before if path not in produced]
        manifest.set_rows(unit, rows)
    manifest.set_rows("corpus", corpus.units["corpus"])
    summary.removed = _remove(out, removed)
    search_started = time.perf_counter()
    search = _update_search(out, manifest, old, new, touched, writer, summary)
    summary.timings["search"] = time.perf_counter() - search_started
    manifest.header = _header(new, corpus.layouts, search, dict(_graph_lint) or manifest.header.get("lint"),
                              read_at)  # fmt: skip
    manifest.write(out)
    summary.written = len(writer.changed)
    summary.records = len(touched)
    summary.changed_records = sorted(changed)
    summary.seconds = time.perf_counter() - started
    return summary


def _beside(work: Callable[[], TaskResult]) -> Callable[[], TaskResult]:
    """`work` (which must not use the database) started in a process of its own, forked from this one; the
    function returned waits for its result. In a thread where the system cannot fork."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pool = ThreadPoolExecutor(1)
        future = pool.submit(work)
        pool.shutdown(wait=False)
        return future.result
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            answer = ("done", work())
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            answer = ("failed", f"{type(error).__name__}: {error}")
        send.send(answer)

    process = context.Process(target=child, daemon=True)
    process.start()
    send.close()

    def result() -> TaskResult:
        try:
            status, value = receive.recv()
        except EOFError:
            status, value = "failed", f"the process ended with code {process.exitcode}"
        finally:
            process.join()
            receive.close()
        if status != "done":
            raise ExportError(f"The corpus files could not be written: {value}")
        return value

    return result


def _sequence_hashes(manifest: Manifest) -> dict:
    """{path: {"layout": ..., "sha256": ...}} of the sequence files of the previous export."""
    layouts = manifest.header.get("sequences", {})
    hashes = {row[0]: row[2] for row in manifest.rows("corpus")}
    return {path: {"layout": layout, "sha256": hashes.get(path)} for path, layout in layouts.items()}


def _update_search(out: Path, manifest: Manifest, old: dict, new: dict, touched: set[int], writer: Writer,
                   summary: Summary) -> dict:  # fmt: skip
    """The delta search index: every record whose page changed since the last full export (see pagefind.py)."""
    search = dict(manifest.header.get("search") or {"delta_records": [], "superseded": []})
    delta = set(search.get("delta_records", []))
    superseded = set(search.get("superseded", []))
    changed_pages = set()
    for pk in touched:
        state = new.get(pk)
        before = old.get(pk)
        paths = []
        for s in (before, state):
            if s is not None:
                paths += [
                    file_for(("/fr" if lang == "fr" else "") + f"/{_kind_path(s.record_type)}/{s.slug}/")
                    for lang in LANGS
                ]
        if any(p in writer.changed for p in paths):
            changed_pages.add(pk)
            for s in (before, state):
                if s is not None:
                    superseded |= {page_url(p) for p in paths}
    delta |= changed_pages
    if not changed_pages:
        return {"delta_records": sorted(delta), "superseded": sorted(superseded)}
    pages = []
    for pk in sorted(delta):
        state = new.get(pk)
        if state is None or state.status != LISTED:
            continue
        for lang in LANGS:
            path = file_for(
                ("/fr" if lang == "fr" else "") + f"/{_kind_path(state.record_type)}/{state.slug}/"
            )
            body = (out / path).read_bytes()
            pages.append((page_url(path), body.replace(pagefind.MARK, pagefind.DELTA_MARK, 1)))
    problem = pagefind.build_delta(out, pages, out / STAGING)
    if problem:
        summary.notes.append(f"Search index not updated: {problem}")
    state = pagefind.delta_state(bool(pages), sorted(superseded))
    rows = [writer.write_raw(pagefind.DELTA_STATE, state, tuple(delta), ("search",))]
    rows += _walk(out, pagefind.DELTA_BUNDLE, ("search",), tuple(sorted(delta)))
    old_delta = {row[0] for row in manifest.rows("search-delta")}
    _remove(out, (p for p in old_delta if p not in {row[0] for row in rows}))
    manifest.set_rows("search-delta", rows)
    return {"delta_records": sorted(delta), "superseded": sorted(superseded)}

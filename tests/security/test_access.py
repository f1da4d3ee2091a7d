"""Every route, as every visitor: nothing unpublished reaches anyone who may not see it (SPEC §10, issue 20).

The routes come from the URL resolver (both languages) and the query API's OpenAPI document, so a new route is
checked as soon as it exists, or fails here until `arguments()` says how to fill its address. The data is a
world of secrets (tests/security/world.py): drafts, unpublished edits, leads, staff notes, monitored sources,
each text holding a marker string named after its field. Each route is asked as an anonymous visitor, a
signed-in account without a role and each staff role: public answers (pages, API, feeds, sitemaps, bulk files,
downloads, exports, search) must hold no marker, and an address naming a draft, a lead or an unknown value must
answer 404; staff routes must send visitors without a role to sign in or refuse them, and show no one what no
one may see (hashed addresses, status tokens) nor contacts to roles that may not read them. The static export
is written and every file read.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from caim.api import bulk, corpus
from caim.api.query import RECORD_KEYS
from caim.cli import main
from caim.editorial.permissions import CONTACT_READERS
from caim.records.models import Record
from caim.records.roles import ADMIN, EDITOR, REVIEWER, TRANSLATOR
from caim.records.versions import build_document, load_record
from caim.records.views.public import CITATION_FORMATS
from caim.search import indexer
from caim.site.sitemaps import SITEMAPS
from caim.stats.views import CHARTS, OVER_TIME
from tests.security.world import CONTACT, NEVER, PREFIX, PROBE, Markers, World, build_world

VISITORS = ("anonymous", "outsider")  # "outsider": signed in, no role
STAFF = (EDITOR, REVIEWER, TRANSLATOR, ADMIN)
SIGN_IN = {"staff:login", "staff:logout"}  # public pages of the staff area
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


# -- the world, once per module --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """Built once, in a transaction rolled back after the module (other tests never see it); each test runs in
    a savepoint of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def clients(world) -> dict[str, Client]:
    out = {}
    for who in (*VISITORS, *STAFF):
        client = Client()
        if who != "anonymous":
            client.force_login(world.users[who])
        out[who] = client
    return out


# -- routes ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "records:incident_detail"; the path for an unnamed route
    path: str  # "/fr/incidents/<str:ident>/"
    local: str  # without the language prefix: "incidents/<str:ident>/"
    lang: str  # "en" for the routes outside i18n_patterns

    @property
    def staff(self) -> bool:
        return self.name.startswith("staff:") and self.name not in SIGN_IN

    @property
    def kwargs(self) -> list[str]:
        return PARAM.findall(self.path)


def resolver_routes() -> list[Route]:
    """Every URL pattern, in both languages (i18n_patterns give each page a French address)."""
    found: dict[str, Route] = {}

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern):
                path = prefix + str(p.pattern)
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name or path
                local = path[1:].removeprefix(f"{lang}/") if lang != "en" else path[1:]
                found.setdefault(path, Route(name, path, local, lang))

    for lang in ("en", "fr"):
        with translation.override(lang):
            walk(get_resolver().url_patterns, "/", None)
    return list(found.values())


ROUTES = resolver_routes()


@dataclass(frozen=True)
class Value:
    text: str
    hidden: bool = False  # names what the public must not find (a draft, a lead, nothing): a 404


def shown(*values) -> list[Value]:
    return [Value(str(v)) for v in values]


def hidden(*values) -> list[Value]:
    return [Value(str(v), hidden=True) for v in values]


def arguments(w: World) -> dict[tuple[str, str], list[Value]]:
    """(path prefix, argument) -> values, the first one shown to the public; the longest prefix wins. A route
    with an argument that no row fills fails `test_every_route_is_covered`."""
    m = w.markers
    incident, hazard = w.public_slugs[w.incident.pk], w.public_slugs[w.hazard.pk]
    withdrawn = w.public_slugs[w.withdrawn.pk]
    reverted, merged = w.public_slugs[w.reverted.pk], w.public_slugs[w.merged.pk]
    drafts = list(w.drafts.values())
    draft_incidents = [d for d in drafts if d.record_type == "incident"]
    draft_hazards = [d for d in drafts if d.record_type == "hazard"]
    renamed = [m.named(f"{label}-slug") for label in ("pending-incident", "pending-hazard", "withdrawn-edit",
                                                      "reverted", "merged")]  # fmt: skip
    return {
        ("incidents/", "ident"): shown(incident, w.incident.pk, hazard, reverted, merged, w.merged.pk)
        + hidden(*(d.slug for d in draft_incidents), *(d.pk for d in draft_incidents), *renamed),
        ("hazards/", "ident"): shown(hazard, w.hazard.pk, withdrawn, incident)
        + hidden(*(d.slug for d in draft_hazards), *(d.pk for d in draft_hazards), *renamed),
        ("", "number"): shown(1, 2) + hidden(9),
        ("", "fmt"): shown(*CITATION_FORMATS) + hidden("docx"),
        ("", "first"): shown(1) + hidden(9),
        ("", "second"): shown(2) + hidden(1),  # diff/1/1/: a version with itself
        ("entities/", "slug"): shown(w.entity.slug) + hidden(w.draft_entity.slug),
        ("systems/", "slug"): shown(w.system.slug) + hidden(w.draft_system.slug),
        ("feeds/domains/", "slug"): shown("consumer_technology") + hidden(PROBE),
        ("feeds/entities/", "slug"): shown(w.entity.slug) + hidden(w.draft_entity.slug),
        ("api/v3/records/", "slug"): shown(incident, hazard, withdrawn, reverted, merged, w.incident.pk)
        + hidden(*(d.slug for d in drafts), *(d.pk for d in drafts), *renamed),
        ("api/v3/records/", "ref"): shown(incident, hazard, withdrawn, reverted, merged, w.incident.pk)
        + hidden(*(d.slug for d in drafts), *(d.pk for d in drafts), *renamed),
        ("sitemap-", "section"): shown(*SITEMAPS) + hidden(PROBE),
        ("stats/", "chart"): shown(*(c.slug for c in CHARTS), OVER_TIME) + hidden(PROBE),
        ("api/v3/bulk/", "filename"): shown(*bulk.FILES) + hidden("leads.csv"),
        ("submit/correction/", "pk"): shown(w.incident.pk, w.hazard.pk, w.reverted.pk)
        + hidden(w.withdrawn.pk, w.merged.pk, *(d.pk for d in drafts)),
        # The submitter's own page: it says where their report stands, and nothing of the editors' work.
        ("submit/status/", "token"): shown(*w.tokens.values()) + hidden(PROBE),
        ("staff/records/", "pk"): shown(w.incident.pk, w.drafts["draft-incident"].pk, w.drafts["draft-hazard"].pk,
                                        w.withdrawn.pk),
        ("staff/leads/", "pk"): shown(*(lead.pk for lead in w.leads.values())),
        ("staff/sources/", "pk"): shown(w.source.pk),
        ("staff/entities/", "pk"): shown(w.draft_entity.pk, w.entity.pk),
    }  # fmt: skip


def list_queries(w: World) -> list[dict]:
    """What a reader can ask a list (and its downloads, and the statistics, which take the same filters)."""
    return [{}, {"q": PROBE}, {"q": f"{PROBE} title", "sort": "relevance"}, {"entity_q": PROBE},
            {"system_q": PROBE}, {"entity": w.draft_entity.slug}, {"system": w.draft_system.slug}, {"fr": "1"},
            {"page": "2"}]  # fmt: skip


def queries(w: World) -> dict[str, list[dict]]:
    """Query strings per route name, besides none (the query API's come from its OpenAPI document)."""
    lists = list_queries(w)
    return {
        **{name: lists for name in ("incident_list", "hazard_list", "incident_download_csv", "incident_download_json",
                                    "hazard_download_csv", "hazard_download_json", "stats")},
        "stats_csv": [{}, {"q": PROBE}, {"entity": w.draft_entity.slug}],  # the filters of "Records over time"
        "search": [{"q": PROBE}, {"q": f"{PROBE} draft title"}, {"q": f"{PROBE} entity name"}],
        "entity_list": [{}, {"kind": "company"}, {"page": "2"}],
        "system_list": [{}, {"page": "2"}],
        "corrections": [{}, {"page": "2"}],
    }  # fmt: skip


def openapi_queries(doc: dict, w: World) -> dict[str, list[dict]]:
    """For each path of the OpenAPI document: each parameter alone, with a value that would find unpublished
    data if the answer read it (the search word, a draft's entity, every field, the French text, the largest
    page), then all of them together."""
    out = {}
    for path, operations in doc["paths"].items():
        assert set(operations) == {"get"}, f"{path}: the query API is read-only; check {set(operations)} here"
        asked: list[dict] = []
        together: dict = {}
        for p in operations["get"].get("parameters", []):
            if p["in"] == "path":  # its values come from arguments(), as a resolver route's do
                continue
            assert p["in"] == "query", f"{path}: a {p['in']} parameter; give it values in arguments()"
            schema = p["schema"]
            kinds = schema.get("anyOf", [schema])
            enums = [v for k in kinds for v in k.get("enum", [])] + [
                k["const"] for k in kinds if "const" in k
            ]
            maxima = [k["maximum"] for k in kinds if "maximum" in k]
            if p["name"] == "fields":  # every public key, then every column of the working copy too
                values = [",".join(RECORD_KEYS), ",".join(f.name for f in Record._meta.get_fields())]
            elif p["name"] == "entity":
                values = [w.draft_entity.slug]
            elif p["name"] == "system":
                values = [w.draft_system.slug]
            elif enums:
                values = enums
            elif maxima:
                values = [max(maxima)]
            elif any(k.get("type") in ("string", "array") for k in kinds):
                values = [PROBE]
            else:
                continue
            asked += [{p["name"]: v} for v in values]
            if p["name"] not in ("entity", "system", "cursor"):  # those alone: together they would only 400
                together[p["name"]] = "fr" if "fr" in values else values[-1]
        out[re.sub(r"\{(\w+)\}", r"<\1>", path)] = [{}, *asked, together]
    return out


@dataclass(frozen=True)
class Target:
    url: str
    route: Route
    not_found: bool  # the address names something unpublished or unknown
    first: bool  # the first value of every argument, without a query string: a published address


class Uncovered(Exception):
    pass


def fill(route: Route, table, *, thorough: bool = True) -> list[tuple[str, bool]]:
    """(address, whether it names something hidden) for the route: first the first value of every argument,
    then each other value of one argument at a time (every value is asked without multiplying the requests);
    not `thorough`, only the first hidden value of each argument."""
    kwargs = route.kwargs
    if not kwargs:
        return [(route.path, False)]
    choices = {}
    for kwarg in kwargs:
        rows = [(prefix, values) for (prefix, name), values in table.items()
                if name == kwarg and route.local.startswith(prefix)]  # fmt: skip
        if not rows:
            raise Uncovered(
                f"new route not covered: {route.name} ({route.path}): add <{kwarg}> to arguments()"
            )
        choices[kwarg] = max(rows, key=lambda row: len(row[0]))[1]
    base = {k: v[0] for k, v in choices.items()}
    if not thorough:
        choices = {k: [v[0], *[value for value in v if value.hidden][:1]] for k, v in choices.items()}
    combos = [base] + [{**base, k: value} for k, values in choices.items() for value in values[1:]]
    out = []
    for combo in combos:
        path = PARAM.sub(lambda match, c=combo: c[match.group(1)].text, route.path)
        out.append((path, any(v.hidden for v in combo.values())))
    return out


def targets(
    w: World, openapi: dict, *, staff: bool, thorough: bool = True, langs=("en", "fr")
) -> list[Target]:
    """The addresses to ask. `thorough`: every value of every argument and every query string; otherwise each
    route with its first values, and with a value of each argument that must answer 404."""
    table, asked = arguments(w), queries(w)
    api = openapi_queries(openapi, w)
    out = []
    for route in ROUTES:
        if route.staff != staff or route.lang not in langs:
            continue
        short = route.name.split(":")[-1] if not route.name.startswith("api-3:") else route.name
        variants = (api.get(route.path) or asked.get(short) or [{}]) if thorough else [{}]
        for n, (path, hides) in enumerate(fill(route, table, thorough=thorough)):
            for q in variants:
                url = path + (f"?{urlencode(q, doseq=True)}" if q else "")
                out.append(Target(url, route, hides, first=n == 0 and not q))
    return out


# -- reading answers and finding markers -----------------------------------------------------------------------

MARK = re.compile(r"(?:<|&lt;|\\u003c)/?mark(?:>|&gt;|\\u003e)")  # search highlights cut a marker in two
FOUND = re.compile(re.escape(PREFIX) + r"[a-z0-9-]*")
BROTLI = importlib.util.find_spec("brotli") is not None


def text_of(response) -> str:
    """Headers and body as the client gets them: gzip decompressed, files and streams read to the end."""
    # A stream is closed by the test client once read (closing it here would end the database connection, as
    # a server closes old connections when a request finishes).
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return f"{headers}\n\n{body.decode('utf-8', errors='replace')}"


def markers_in(text: str, markers: Markers) -> set[str]:
    """The names of the markers in `text`. A marker cut short (a truncated summary) or run into other text
    (a file name) is still found, by its longest known form."""
    text = MARK.sub("", text.lower())
    names = set()
    for hit in set(FOUND.findall(text)):
        hit = hit.rstrip("-")
        exact = markers.known.get(hit)
        if exact is None:
            longer = [t for t in markers.known if t.startswith(hit)]
            shorter = [t for t in markers.known if hit.startswith(t)]
            exact = markers.known[max(shorter, key=len)] if shorter else None
            if exact is None:
                names.add(f"{hit} (cut: {markers.known[longer[0]][0]})" if longer else f"{hit} (unknown)")
                continue
        names.add(exact[0])
    names |= {name for value, (name, _kind) in markers.known.items()
              if not value.startswith(PREFIX) and value.lower() in text}  # fmt: skip
    return names


def forbidden(names: set[str], markers: Markers, kinds: set[str] | None, allowed: set[str]) -> set[str]:
    """Of the markers found, those this visitor may not see (`kinds`: the kinds forbidden, None: all)."""
    by_name = {name: kind for name, kind in markers.known.values()}
    return {n for n in names - allowed if kinds is None or by_name.get(n, NEVER) in kinds}


def echoed(url: str, markers: Markers) -> set[str]:
    """Markers the visitor typed: an answer may say what it was asked (a 404 naming the path is no leak)."""
    asked = unquote(url).lower()
    return {name for value, (name, _kind) in markers.known.items() if value.lower() in asked}


def sweep(client: Client, found: list[Target], markers: Markers, *, kinds: set[str] | None = None,
          allowed: set[str] = frozenset(), check=None, post: bool = False, compressed: bool = True) -> list[str]:  # fmt: skip
    """Ask each address; return what went wrong, one line per address. With `post`, an address that takes
    only POST (a staff action) is posted to, empty (for visitors who must be refused before anything runs).
    `compressed`: accept gzip (a file kept with a compressed copy then sends that copy)."""
    problems = []
    for target in found:
        response = client.get(target.url, **({"HTTP_ACCEPT_ENCODING": "gzip"} if compressed else {}))
        if response.status_code == 405 and post:
            response = client.post(target.url, {})
        status, text = response.status_code, text_of(response)
        wrong = []
        if status >= 500:
            wrong.append(f"answered {status}")
        if target.not_found and status != 404:
            wrong.append(f"answered {status} for an unpublished or unknown address (expected 404)")
        if check is not None and (complaint := check(target, response)):
            wrong.append(complaint)
        leaked = forbidden(markers_in(text, markers), markers, kinds, allowed | echoed(target.url, markers))
        if leaked:
            wrong.append(f"shows {', '.join(sorted(leaked))}")
        if wrong:
            problems.append(f"{response.request['REQUEST_METHOD']} {target.url}: {'; '.join(wrong)}")
    return problems


def report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:60])


@pytest.fixture(scope="module")
def openapi(clients) -> dict:
    response = clients["anonymous"].get("/api/v3/openapi.json")
    assert response.status_code == 200
    return response.json()


def own_name(world: World, who: str) -> set[str]:
    """A signed-in account's own name may be shown to it."""
    return {world.markers.known[world.users[who].username][0]} if who != "anonymous" else set()


# -- the tests -------------------------------------------------------------------------------------------------


def test_every_route_is_covered(world, openapi, db):
    """Every resolver route, both languages, and every path of the OpenAPI document gets addresses."""
    uncovered = []
    table = arguments(world)
    for route in ROUTES:
        try:
            assert fill(route, table)
        except Uncovered as exc:
            uncovered.append(str(exc))
    assert not uncovered, "\n".join(uncovered)
    names = {r.name for r in ROUTES}
    paths = {r.path for r in ROUTES}
    assert {"records:incident_detail", "records:hazard_diff", "api_bulk", "intake:status", "staff:lead",
            "django.contrib.sitemaps.views.sitemap", "feed_entity", "api-3:search"} <= names  # fmt: skip
    assert {"/fr/incidents/<str:ident>/", "/fr/api/v3/feed.json", "/fr/staff/leads/<int:pk>/"} <= paths
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", path) for path in openapi["paths"]}
    assert documented <= paths, "an OpenAPI path the resolver does not know"
    assert len(ROUTES) > 150


@pytest.mark.parametrize("who", [*VISITORS, *STAFF])
def test_public_routes_show_nothing_unpublished(world, clients, openapi, db, who):
    """Pages, API, feeds, sitemaps, bulk files, downloads, citations and exports, with the query strings that
    could find more: no marker, no 5xx, and a 404 for every address naming a draft, a lead or nothing.
    Anonymous visitors ask every variant; accounts ask each route, and it with a value that must be a 404 (public
    answers do not depend on who asks: no public template reads the account, kept pages are per state)."""
    if (
        who in STAFF
    ):  # staff pages first (the preview renders a working copy in the public template): no trace
        for target in targets(world, openapi, staff=True, langs=("en",)):
            if target.route.name in WARM_UP:
                assert clients[who].get(target.url).status_code in (200, 302, 403), target.url
    found = targets(world, openapi, staff=False, thorough=who == "anonymous")
    # The outsider reads the uncompressed copies of the kept files, the others the compressed ones.
    problems = sweep(clients[who], found, world.markers, allowed=own_name(world, who), check=found_when_shown,
                     compressed=who != "outsider")  # fmt: skip
    assert not problems, report(problems)
    assert len(found) > (700 if who == "anonymous" else 150)


# Staff pages that show a record's or a lead's working data, some in the public page's templates.
WARM_UP = {"staff:record", "staff:preview", "staff:edit", "staff:translate", "staff:lead", "staff:dashboard"}

# Public routes whose plain address is a 4xx: the API's search needs words, its root is no page (the OpenAPI
# document and /api/docs are), and signing out takes a POST.
NEED_MORE = {"api-3:search", "api-3:api-root", "staff:logout"}


def found_when_shown(target: Target, response) -> str:
    """The first values are public: their addresses answer (else the sweep could be checking 404s only)."""
    if target.first and target.route.name not in NEED_MORE and response.status_code not in (200, 301, 302):
        return f"answered {response.status_code} for a published address (arguments() is wrong)"
    return ""


def signed_out_or_refused(who: str):
    def check(target: Target, response) -> str:
        if who == "anonymous":
            where = response.get("Location", "")
            if response.status_code != 302 or not where.split("?")[0].endswith("/staff/login/"):
                return f"answered {response.status_code} {where} (expected a redirect to sign in)"
        elif response.status_code != 403:
            return f"answered {response.status_code} (expected 403)"
        return ""

    return check


@pytest.mark.parametrize("who", VISITORS)
def test_staff_routes_turn_away_visitors_without_a_role(world, clients, openapi, db, who):
    found = targets(world, openapi, staff=True)
    problems = sweep(clients[who], found, world.markers, allowed=own_name(world, who),
                     check=signed_out_or_refused(who), post=True)  # fmt: skip
    assert not problems, report(problems)
    assert {t.route.name for t in found} >= {
        "staff:dashboard",
        "staff:lead",
        "staff:publish",
        "staff:sources",
    }


@pytest.mark.parametrize("who", STAFF)
def test_staff_see_no_secret_and_contacts_only_with_their_role(world, clients, openapi, db, who):
    """Staff pages show unpublished data (that is their purpose), but never a hashed address or a status token,
    and a submitter's email only to the roles that handle submissions (not translators)."""
    kinds = {NEVER} | (set() if who in CONTACT_READERS else {CONTACT})
    found = targets(world, openapi, staff=True, langs=("en",))  # the French addresses reach the same views
    seen: set[str] = set()

    def look(target: Target, response) -> str:
        if response.status_code == 200:
            seen.update(markers_in(text_of(response), world.markers))
        return ""

    problems = sweep(clients[who], found, world.markers, kinds=kinds, check=look)
    assert not problems, report(problems)
    # The markers are there to be found: staff pages show drafts, notes and leads to the roles that read them.
    expected = {"draft-incident-title_en", "comment-on-draft", "lead-drafted-text", "return-reason"}
    if who in CONTACT_READERS:
        expected.add("lead-drafted-email")
    assert expected <= seen, f"{who} saw none of {expected - seen}"


def test_the_static_export_holds_nothing_unpublished(world, tmp_path, db):
    """`caim export-site`: every file (pages, API files, feeds, bulk files, the search index), decompressed."""
    out = tmp_path / "site"
    assert main(["export-site", str(out), "--workers", "1"]) == 0
    problems, files = [], 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        files += 1
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip copies, and Pagefind's index files
            data = gzip.decompress(data)
        elif path.suffix == ".br":
            if not BROTLI:  # a copy of a file read beside it
                continue
            import brotli

            data = brotli.decompress(data)
        text = f"{path.relative_to(out)}\n{data.decode('utf-8', errors='replace')}"
        if leaked := markers_in(text, world.markers):
            problems.append(f"{path.relative_to(out)}: shows {', '.join(sorted(leaked))}")
    assert not problems, report(problems)
    assert files > 200
    assert (out / Path("incidents", world.public_slugs[world.incident.pk], "index.html")).is_file()


def test_submitters_emails_say_nothing_of_the_editors_work(world, db):
    """A status email tells the submitter the status, the public record it led to or the reason of a decline:
    not the draft made from it, the editors' note, anything of another submission."""
    assert len(world.emails) >= 4
    for message in world.emails:
        found = markers_in(f"{message.subject}\n{message.body}\n{message.to}", world.markers)
        others = {name for name in found if not name.startswith(lead_of(world, message))}
        assert not others, f"{message.to}: {message.subject}\n{message.body}"


def lead_of(world: World, message) -> str:
    """The name of the lead whose submitter gets this email ("lead-drafted")."""
    [to] = message.to
    return world.markers.known[to.split("@")[0]][0].removesuffix("-email")


# -- the checker itself ----------------------------------------------------------------------------------------


def test_the_checker_sees_a_record_file_built_from_the_working_copy(world, clients, openapi, db, monkeypatch):
    """The leak these tests exist for: a public file built from a record's working copy instead of its
    published version. Made on purpose, it is caught, and named by field."""

    def from_working_copy(public) -> str:
        return corpus.dumps(
            build_document(load_record(public.pk), version=0, published_at=public.published_at)
        )

    monkeypatch.setattr(corpus, "record_json", from_working_copy)
    found = [t for t in targets(world, openapi, staff=False) if t.route.name == "api_record"]
    problems = sweep(clients["anonymous"], found, world.markers)
    leaked = " ".join(problems)
    assert "pending-incident-title_en" in leaked and "pending-hazard-sources-supports_fr" in leaked
    assert "pending-incident-private-person" not in leaked  # staff fields stay out of documents even then


def test_the_search_probe_finds_what_is_indexed(world, clients, openapi, db):
    """The search word finds markers: an entity indexed while only a draft names it would be shown."""
    indexer._replace("entity", world.draft_entity.pk, indexer.entity_texts(world.draft_entity))
    found = [t for t in targets(world, openapi, staff=False)
             if t.route.name in ("search", "api-3:search") and "q=" in t.url]  # fmt: skip
    problems = sweep(clients["anonymous"], found, world.markers)
    assert any("draft-entity-name" in p for p in problems), report(problems)

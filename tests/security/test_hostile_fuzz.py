"""Hostile values in every query parameter and every form field (hypothesis): SQL-ish text, 100 kB strings, NUL,
lone surrogates and other bytes that are not UTF-8 (sent raw, as `%ED%A0%80`), bad dates, huge, negative and
fractional numbers, repeated parameters where one is expected, the XSS corpus and its URLs.

Every answer is below 500. A form either does what it says (and writes an audit event for it) or changes
nothing in the database and says why: a 4xx, the form again with its errors, or a redirect to a page that
shows an error. Runs on the suite's database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
from django.core import signing
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caim.intake.actions import create_source, find_by_token, submit_lead
from caim.intake.forms import SIGNING_SALT, SubmissionForm
from caim.intake.models import Lead, MonitoredSource
from caim.records.models import AISystem, AuditEvent, Entity, PublicRecord, Record, RecordVersion
from caim.records.roles import EDITOR, REVIEWER
from caim.site.lists import FACETS, FIND
from caim.stats.views import CHARTS, OVER_TIME
from tests import factories
from tests.security.hostile_seed import form_pairs, problems
from tests.security.xss_corpus import BAD_URLS, GOOD_URLS, PAYLOADS

FORM_TYPE = "application/x-www-form-urlencoded"


def raw(text: str) -> str:
    """Percent-encoded as a client would send it; lone surrogates become the bytes `%ED%A0%80` that no UTF-8
    decoder accepts."""
    return quote(text, safe="", errors="surrogatepass")


SQLISH = ["' OR 1=1 --", "1; DROP TABLE records_record; --", "%' UNION SELECT username, password FROM auth_user --",
          "'; SELECT pg_sleep(10); --", "1' ORDER BY 99 --", "\\", "\\'", "'", '"', "`", "$1", "?", "%s", "%(x)s"]  # fmt: skip
BAD_DATES = ["2024-13-45", "2024-02-30", "0000-00-00", "9999-99-99", "-2024-01-01", "2024-1-1", "20240101",
             "2024-01-01T25:61:00", "99999-01-01", "２０２４-01-01", "2024-W01", "yesterday", "1e9"]  # fmt: skip
NUMBERS = ["-1", "0", "-0", "1.5", "1e308", "-1e308", "NaN", "inf", "-9223372036854775809", "9223372036854775808",
           "99999999999999999999999999999", "0x10", "1_000", "²", "١٢", "１", " 1 ", "+1", "1,5"]  # fmt: skip
RAW_BYTES = ["%00", "a%00b", "%ED%A0%80", "%ED%BF%BF", "%FF%FE", "%C0%AF", "%F4%90%80%80", "%E2%80%AE%E2%80%8B",
             "%EF%BB%BF", "%0D%0ASet-Cookie:%20x=1", "%25", "%", "%%32%65", "%u0041", "+", "%2B"]  # fmt: skip
BIG = [raw("x" * 100_000), raw("1" * 100_000), raw("2024-01-01" * 10_000),
       raw(PAYLOADS[0].text * (100_000 // len(PAYLOADS[0].text)))]  # fmt: skip
# Path parts: climbing out of a folder, files that exist, a real record.
PATHS = [
    "..",
    "%2e%2e",
    "..%2F..%2Fsettings.py",
    "records.csv.gz",
    "LICENCE.txt",
    "%2F",
    "air-canada-chatbot-bereavement-fare",
]
TEXTS = (
    SQLISH + BAD_DATES + NUMBERS + [p.text for p in PAYLOADS] + ["", " ", "\t", "on", "true", "null", "[]"]
)

HOSTILE = st.one_of(
    st.sampled_from(RAW_BYTES),
    st.sampled_from(TEXTS).map(raw),
    st.text(max_size=40).map(raw),
    st.sampled_from(BIG),
)


def hostile_values(draw) -> list[str]:
    """One value, or several where the form expects one (an array where a scalar is expected)."""
    return draw(st.lists(HOSTILE, min_size=1, max_size=3 if draw(st.booleans()) else 1))


def body(pairs: list[tuple[str, str]]) -> str:
    """A form body from (name, already encoded value) pairs."""
    return "&".join(f"{quote(name, safe='[]')}={value}" for name, value in pairs)


FUZZ = settings(deadline=None, derandomize=True, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])  # fmt: skip


# -- query parameters -------------------------------------------------------------------------------------------

LIST_PARAMS = [f.param for f in FACETS] + list(FIND.values()) + ["q", "sort", "page", "from", "to", "year_from",
                                                                "year_to"]  # fmt: skip
API_RECORDS = [f.param for f in FACETS] + ["type", "from", "to", "year_from", "year_to", "q", "sort", "cursor", "limit",
                                           "fields", "lang"]  # fmt: skip
PUBLIC_ROUTES = {
    **{
        path: LIST_PARAMS
        for path in (
            "/incidents/",
            "/hazards/",
            "/fr/incidents/",
            "/incidents/download.csv",
            "/hazards/download.json",
        )
    },  # fmt: skip
    **{f"/stats/{c.slug}.csv": LIST_PARAMS + ["type"] for c in CHARTS},
    f"/stats/{OVER_TIME}.csv": LIST_PARAMS + ["type"],
    "/stats/": LIST_PARAMS + ["type"],
    "/search/": ["q", "page", "kind"],
    "/entities/": ["kind", "page", "q"],
    "/systems/": ["kind", "page", "q"],
    "/corrections/": ["page"],
    "/api/v3/records": API_RECORDS,
    "/api/v3/entities": ["q", "cursor", "limit"],
    "/api/v3/systems": ["q", "cursor", "limit"],
    "/api/v3/search": ["q", "kind", "limit", "lang"],
    "/api/v3/feed.json": ["page", "lang"],
    "/feeds/records.atom": ["page"],
    **{
        f"/api/v3/{name}.json": ["lang", "fields"]
        for name in ("records", "stats", "graph", "systemic-analysis", "taxonomy")
    },  # fmt: skip
    "/taxonomy/": ["lang", "vocabulary"],
    "/incidents/air-canada-chatbot-bereavement-fare/": ["v", "lang"],
}
STAFF_ROUTES = {
    "/staff/": ["stage", "type", "assignee", "mine", "q", "reassess", "page"],
    "/staff/leads/": ["status", "origin", "page"],
    "/staff/entities/": ["q"],
    "/staff/entities/search/": ["q", "entities-0-entity", "responses-1-actor"],
    "/staff/systems/search/": ["q", "systems-0-system"],
}


@st.composite
def query(draw, routes: dict[str, list[str]]) -> str:
    path = draw(st.sampled_from(sorted(routes)))
    names = draw(st.lists(st.sampled_from(routes[path]), min_size=1, max_size=4, unique=True))
    pairs = []
    for name in names:
        shape = draw(st.sampled_from(["plain", "plain", "repeated", "brackets"]))
        key = f"{name}[]" if shape == "brackets" else name
        values = hostile_values(draw) if shape != "plain" else [draw(HOSTILE)]
        pairs += [(key, v) for v in values]
    return f"{path}?{body(pairs)}"


def assert_clear(response, url: str) -> None:
    assert response.status_code < 500, f"{url[:300]} answered {response.status_code}"
    if response.status_code >= 400 and url.startswith("/api/"):  # machines get a JSON error, not a page
        assert response["Content-Type"].startswith("application/json"), url[:300]


@pytest.mark.django_db
@settings(FUZZ, max_examples=160)
@given(url=query(PUBLIC_ROUTES))
def test_public_query_parameters(client, url):
    assert_clear(client.get(url), url)


@pytest.mark.django_db
@settings(FUZZ, max_examples=40)
@given(url=query(STAFF_ROUTES))
def test_staff_query_parameters(client, url):
    client.force_login(factories.make_user("f-staff", EDITOR, REVIEWER))
    assert_clear(client.get(url), url)


@pytest.mark.django_db
@settings(FUZZ, max_examples=30)
@given(part=st.one_of(st.sampled_from(RAW_BYTES + BIG[:1] + PATHS), st.sampled_from(TEXTS).map(raw)))
def test_addresses_with_hostile_parts(client, part):
    for url in (f"/submit/status/{part}/", f"/staff/records/new/?type={part}", f"/entities/{part}/",
                f"/api/v3/records/{part}.json", f"/api/v3/records/{part}/versions.json", f"/api/v3/bulk/{part}",
                f"/incidents/{part}/diff/1/{part}/", f"/stats/{part}.csv", f"/sitemap-{part}.xml",
                f"/feeds/domains/{part}.atom", f"/feeds/entities/{part}.atom", f"/systems/{part}/"):  # fmt: skip
        assert_clear(client.get(url), url)


# -- forms ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """What the forms can change: row counts, every record's lock and every lead's status; the audit trail."""

    rows: tuple
    audit: int

    @classmethod
    def now(cls) -> State:
        rows = tuple(m.objects.count() for m in (Record, RecordVersion, PublicRecord, Entity, AISystem, Lead,
                                                  MonitoredSource))  # fmt: skip
        locks = tuple(Record.objects.order_by("pk").values_list("lock_version", "status", "assignee_id"))
        leads = tuple(Lead.objects.order_by("pk").values_list("status", "record_id"))
        sources = tuple(MonitoredSource.objects.order_by("pk").values_list("name", "url", "active"))
        return cls((rows, hash(locks), hash(leads), hash(sources)), AuditEvent.objects.count())


def told_why(client, response) -> bool:
    """The answer says why the input was refused: a 4xx page with its message (a form with its errors, or a
    plain-text reason), a page with error messages, or a redirect to one."""
    text = response.content.decode(errors="replace")
    if response.status_code >= 400 and not response["Content-Type"].startswith("text/html"):
        return bool(text.strip())
    if response.status_code == 302:
        location = response["Location"]
        if urlsplit(location).netloc:
            return False
        text = client.get(location).content.decode(errors="replace")
    return bool(problems(text))


def post_and_check(client, url: str, pairs: list[tuple[str, str]], *, silent_ok: bool = False, **headers):
    """Post; never a 5xx, never an address elsewhere; a change is audited, no change is explained."""
    before = State.now()
    response = client.post(url, data=body(pairs), content_type=FORM_TYPE, **headers)
    assert response.status_code < 500, f"POST {url} {body(pairs)[:300]}: {response.status_code}"
    location = response.get("Location", "")
    assert not urlsplit(location).netloc and not location.lower().startswith(("javascript", "//", "/\\")), (
        location
    )
    after = State.now()
    if after.rows != before.rows:
        assert after.audit > before.audit, f"POST {url} changed the database without an audit event"
    elif (
        after.audit == before.audit and not silent_ok
    ):  # nothing done (an audited no-op, such as a comment, is done)
        assert told_why(client, response), f"POST {url} {body(pairs)[:300]} changed nothing and said nothing"
    return response


def some(draw, fields: list[str]) -> set[str]:
    """The fields to make hostile: one, mostly (so that the others' valid values let it reach the action)."""
    n = min(draw(st.sampled_from([1, 1, 1, 2, 3, 4])), len(fields))
    return set(draw(st.lists(st.sampled_from(fields), min_size=n, max_size=n, unique=True)))


def fill(fields: list[str], draw, *, base: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The form's fields, `base` values (valid ones) for some and hostile values for at least one."""
    base = base or {}
    chosen = some(draw, fields)
    pairs = []
    for name in fields:
        if name in chosen:
            pairs += [(name, v) for v in hostile_values(draw)]
        elif name in base:
            pairs.append((name, raw(base[name])))
    return pairs


def started(draw) -> str:
    """The public forms' signed time: shown a minute ago (a person), mostly, or hostile."""
    if draw(st.integers(0, 4)):
        return raw(signing.dumps(time.time() - 60, salt=SIGNING_SALT))
    return draw(HOSTILE)


@pytest.fixture
def public_forms(db, settings):
    settings.CAIM_SUBMIT_PER_ADDRESS = settings.CAIM_SUBMIT_GLOBAL = 1_000_000


SUBMISSION = {"urls": GOOD_URLS[0].text, "what": "A chatbot misled travellers.", "when": "2024", "where": "Ontario",
              "email": "reader@example.org", "consent": "on", "website": ""}  # fmt: skip


@pytest.mark.django_db
@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_public_forms(client, public_forms, data):
    """A report or a correction: stored (the thank-you page), dropped in silence when a robot's trap caught it,
    or refused with the form and its errors, nothing stored."""
    public = PublicRecord.objects.listed().order_by("pk").first()
    correction = f"/submit/correction/{public.pk}/"
    url = data.draw(st.sampled_from(["/submit/", "/fr/submit/", correction]))
    fields = ["what", "urls", "email", "consent", "website"] if url == correction else list(SUBMISSION)
    pairs = fill(fields, data.draw, base=SUBMISSION) + [("started", started(data.draw))]
    robot = SubmissionForm(QueryDict(body(pairs))).is_robot()  # the traps drop a robot's post without a word
    before = Lead.objects.count()
    response = post_and_check(client, url, pairs, silent_ok=True)
    text = response.content.decode(errors="replace")
    if robot:
        assert Lead.objects.count() == before and (response.status_code == 200 or "NUL" in text)
    elif response.status_code == 200:
        token = re.search(r'href="(?:/fr)?/submit/status/([\w-]+)/"', text)
        assert token, f"POST {url}: neither a thank-you page nor an error"
        lead = find_by_token(
            token[1]
        )  # the status link leads to what was stored: this report, or the same one
        assert lead is not None and Lead.objects.count() in (before, before + 1)
    else:
        assert response.status_code in (400, 429) and Lead.objects.count() == before
        assert problems(text) or response.status_code == 429 or "NUL" in text  # (a NUL: refused at the door)


# -- staff forms ------------------------------------------------------------------------------------------------


@pytest.fixture
def staff(db, client, clock, entities):
    """A staff member with the editor's and the reviewer's roles, a draft, a published record and a lead."""
    user = factories.make_user("f-staff", EDITOR, REVIEWER)
    client.force_login(user)
    author = factories.make_user("f-author", EDITOR)
    draft = factories.draft(author, "incident", factories.incident_data(), clock)
    published = PublicRecord.objects.listed().filter(record_type="incident").order_by("pk").first()
    lead = submit_lead(origin="submission", raw_text="A lead.", urls=[GOOD_URLS[0].text], consent=True,
                       language="en", address_hash="").lead  # fmt: skip
    source = create_source(actor=author, data={"kind": "feed", "name": "F feed", "url": "https://f.example/rss",
                                               "language": "en", "active": True, "keywords": ""})  # fmt: skip
    return {"draft": draft.pk, "published": published.pk, "lead": lead.pk, "source": source.pk, "user": user}


# (path template, fields, valid values for the fields not fuzzed)
STAFF_FORMS = [
    ("/staff/records/new/", ["type", "slug", "title_en", "title_fr", "original_language"],
     {"type": "incident", "slug": "f-new", "title_en": "A title", "original_language": "en"}),
    ("/staff/records/{draft}/move/", ["status"], {}),
    ("/staff/records/{draft}/assign/", ["assignee"], {}),
    ("/staff/records/{draft}/comment/", ["text"], {}),
    ("/staff/records/{draft}/return/", ["comment"], {}),
    ("/staff/records/{draft}/publish/", ["changelog_en", "changelog_fr", "kind"], {"changelog_en": "x", "changelog_fr": "y"}),
    ("/staff/records/{published}/withdraw/", ["reason_en", "reason_fr"], {"reason_en": "Why", "reason_fr": "Pourquoi"}),
    ("/staff/records/{published}/revert/", ["version"], {}),
    ("/staff/records/{draft}/merge/", ["into"], {}),
    ("/staff/entities/new/", ["name", "name_fr", "slug", "entity_kind", "next"], {"name": "F entity"}),
    ("/staff/systems/new/", ["name", "name_fr", "slug", "system_type", "next"], {"name": "F system"}),
    ("/staff/entities/{entity}/merge/", ["into"], {}),
    ("/staff/sources/new/", ["kind", "name", "url", "language", "keywords", "active"],
     {"kind": "feed", "name": "F source", "url": "https://f.example/feed", "language": "en"}),
    ("/staff/sources/{source}/", ["kind", "name", "url", "language", "keywords", "active"],
     {"kind": "feed", "name": "F source", "url": "https://f.example/feed", "language": "en"}),
    ("/staff/sources/{source}/active/", ["active"], {}),
    ("/staff/leads/{lead}/decline/", ["reason", "note"], {"reason": "no_nexus"}),
    ("/staff/leads/{lead}/draft/", ["record_type", "slug", "title_en", "title_fr"],
     {"record_type": "incident", "slug": "f-lead", "title_en": "A lead's title"}),
    ("/staff/leads/{lead}/attach/", ["record", "url", "publisher", "title", "citation_key", "source_type",
                                     "date_published", "language"],
     {"record": "{published}", "url": GOOD_URLS[0].text, "publisher": "P", "title": "T", "citation_key": "P, 2025",
      "source_type": "media", "date_published": "2025-01-02"}),
    ("/staff/leads/{lead}/incident/", ["hazard", "slug", "title_en"], {"slug": "f-lead-incident"}),
    ("/staff/leads/{lead}/screen/", ["note", "status"], {}),
    ("/staff/login/", ["username", "password", "next"], {"username": "f-staff"}),
    ("/staff/logout/", ["next"], {}),
]  # fmt: skip
# Answers that change nothing and need not say so: a source's "active" switch (any value but "1" deactivates, and
# deactivating an inactive source is no change).
QUIET = {"/staff/sources/{source}/active/", "/staff/login/", "/staff/logout/"}


@pytest.mark.django_db
@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_staff_forms(client, staff, entities, data):
    template, fields, base = data.draw(st.sampled_from(STAFF_FORMS))
    names = {**staff, "entity": entities["t-acme-ai"].pk}  # (user unused by the templates)
    if "{lead}" in template:  # a new lead each time: the first decline or attachment closes one for good
        names["lead"] = submit_lead(origin="submission", raw_text=f"Lead {time.time()}", urls=[GOOD_URLS[0].text],
                                    consent=True, language="en", address_hash="").lead.pk  # fmt: skip
    url = template.format(**names)
    base = {k: v.format(**names) for k, v in base.items()}
    pairs = fill(fields, data.draw, base=base)
    client.logout() if template == "/staff/login/" else client.force_login(staff["user"])
    htmx = template.endswith("/new/") and data.draw(
        st.booleans()
    )  # entity creation answers htmx with a fragment
    post_and_check(
        client, url, pairs, silent_ok=template in QUIET, **({"HTTP_HX_REQUEST": "true"} if htmx else {})
    )
    if template == "/staff/login/":
        assert "_auth_user_id" not in client.session  # no hostile value signs anyone in


@pytest.fixture
def editor_forms(staff, client):
    """The editor's and the translator's own forms of the draft, as the pages send them (valid)."""
    forms = {}
    for page in ("edit", "translate"):
        answer = client.get(f"/staff/records/{staff['draft']}/{page}/")
        forms[page] = [(name, raw(value)) for name, value in form_pairs(answer.content.decode(), "")]
    return forms


@pytest.mark.django_db
@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_record_editor(client, staff, editor_forms, data):
    """Every field of the editor and of the translator's view, the child lists' management fields and the lock
    included; the live lint (a dry run) with the editor's fields, as htmx sends them."""
    page, target = data.draw(
        st.sampled_from([("edit", "edit"), ("edit", "lint"), ("translate", "translate")])
    )
    form = editor_forms[page]
    names = sorted({name for name, _v in form if name != "csrfmiddlewaretoken"})
    texts = [
        n for n in names if n.endswith(("_en", "_fr", "citation_key", "publisher", "title", "source_key"))
    ]
    chosen = some(
        data.draw, texts if data.draw(st.booleans()) else names
    )  # texts half the time: they get saved
    lock = Record.objects.get(pk=staff["draft"]).lock_version
    pairs = [(n, str(lock) if n == "lock_version" else v) for n, v in form if n not in chosen]
    pairs += [(name, v) for name in sorted(chosen) for v in hostile_values(data.draw)]
    url = f"/staff/records/{staff['draft']}/{target}/"
    headers = {"HTTP_HX_REQUEST": "true"} if target == "lint" else {}
    before = State.now()
    response = post_and_check(client, url, pairs, silent_ok=target == "lint", **headers)
    if target == "lint":  # a dry run
        assert State.now() == before and response.status_code in (200, 400)  # 400: a NUL, refused at the door


def test_raw_bytes_are_encoded_as_sent():
    assert raw("\ud800") == "%ED%A0%80" and raw("<a b>") == "%3Ca%20b%3E"
    assert re.fullmatch(r"[A-Za-z0-9%._~-]*", raw(PAYLOADS[0].text))
    assert BAD_URLS and all(u.refused for u in BAD_URLS)


@pytest.mark.django_db
@pytest.mark.parametrize("link", BAD_URLS, ids=lambda p: str(p.id))
def test_links_that_would_run_are_refused_in_every_link_field(
    client, public_forms, staff, editor_forms, link
):
    """javascript:, data:, vbscript: and their disguises, in every field that becomes a link: refused with a
    message, nothing stored."""
    client.force_login(staff["user"])
    url = raw(link.text)
    draft, lead = staff["draft"], staff["lead"]
    lock = str(Record.objects.get(pk=draft).lock_version)
    editor = [(n, lock if n == "lock_version" else v) for n, v in editor_forms["edit"]]

    def editing(name: str, value: str) -> list[tuple[str, str]]:
        return [(n, v) for n, v in editor if n != name] + [(name, value)]

    posts = [
        (f"/staff/records/{draft}/edit/", editing("sources-0-url", url)),
        (f"/staff/records/{draft}/edit/", editing("sources-0-archived_url", url)),
        (f"/staff/records/{draft}/edit/", editing("same_as", raw(f"aiid 1 {link.text}"))),
        ("/staff/sources/new/", [("kind", "feed"), ("name", "F"), ("url", url), ("language", "en")]),
        (f"/staff/leads/{lead}/attach/", [("record", str(staff["published"])), ("url", url), ("publisher", "P"),
                                          ("title", "T"), ("citation_key", "P, 2025"), ("source_type", "media")]),
        ("/submit/", [("urls", url), ("what", "x"), ("consent", "on"), ("started", started(lambda _s: 1))]),
    ]  # fmt: skip
    for path, pairs in posts:
        before = State.now()
        response = post_and_check(client, path, pairs)
        assert State.now() == before and response.status_code in (302, 400), path
    assert not Record.objects.filter(record_sources__source__url__icontains="script:").exists()

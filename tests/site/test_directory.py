"""Entity and AI system pages: only what published records name, grouped by role, in both languages.

The oracle is independent of the pages: it reads the published version documents of the public records
(PublicRecord -> version.document), never PublicEntityRole or the working copy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records import actions
from caim.records.models import Entity, PublicRecord
from caim.site import directory
from caim.taxonomy.loader import get_taxonomy
from tests import factories

RECORD_LINK = re.compile(r'href="/(?:fr/)?(?:incidents|hazards)/([^/"?]+)/"')
# A name in another language than the page's has its `lang` (an English-only name on a French page).
ENTITY_ROW = re.compile(
    r'<th scope="row"><a (?:lang="\w+" )?href="/(?:fr/)?entities/([^/"]+)/">([^<]*)</a></th>'
)
SYSTEM_ROW = re.compile(
    r'<th scope="row"><a (?:lang="\w+" )?href="/(?:fr/)?systems/([^/"]+)/">([^<]*)</a></th>'
)
ROLE_SECTION = re.compile(r'<section aria-labelledby="role-(\w+)">(.*?)</section>', re.S)


def html(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def main(page: str) -> str:
    """The main content of a page (a page already cut to it is returned as is)."""
    if '<main id="main"' not in page:
        return page
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def public_docs() -> list[dict]:
    return [
        p.version.document for p in PublicRecord.objects.filter(withdrawn=False).select_related("version")
    ]


def entity_oracle() -> dict[str, dict[str, set[str]]]:
    """entity slug -> role -> slugs of the public records naming it in that role."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for doc in public_docs():
        for e in doc["entities"]:
            for role in e["roles"]:
                out[e["slug"]][role].add(doc["slug"])
    return {slug: dict(roles) for slug, roles in out.items()}


def system_oracle() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for doc in public_docs():
        for s in doc["systems"]:
            out[s["slug"]].add(doc["slug"])
    return dict(out)


def listed(client, path: str, row=ENTITY_ROW) -> list[tuple[str, str]]:
    """(slug, name) rows of every page of a directory list, in order."""
    rows, number = [], 1
    while True:
        page = html(client, f"{path}{'&' if '?' in path else '?'}page={number}")
        rows += row.findall(main(page))
        if 'rel="next"' not in page:
            return rows
        number += 1


def roles_on_page(page: str) -> list[tuple[str, set[str]]]:
    return [(role, set(RECORD_LINK.findall(body))) for role, body in ROLE_SECTION.findall(main(page))]


# -- entity pages -----------------------------------------------------------------------------------------------


def test_every_entity_page_lists_exactly_its_public_records_grouped_by_role(client, db):
    oracle = entity_oracle()
    assert len(oracle) > 20, "the demo set names many entities"
    order = get_taxonomy()["entity_role"].slugs()
    for slug, roles in oracle.items():
        shown = roles_on_page(html(client, f"/entities/{slug}/"))
        assert dict(shown) == roles, slug
        assert [r for r, _ in shown] == sorted(roles, key=order.index), "roles in vocabulary order"


def test_entity_page_links_to_the_lists_filtered_by_it(client, db):
    slug, roles = next((s, r) for s, r in entity_oracle().items() if len(set().union(*r.values())) > 2)
    page = html(client, f"/entities/{slug}/")
    assert f'href="/incidents/?entity={slug}"' in page
    listed_incidents = set(
        re.findall(r'<h2><a href="/incidents/([^/"]+)/"', html(client, f"/incidents/?entity={slug}"))
    )
    on_page = {s for s in set().union(*roles.values()) if f'href="/incidents/{s}/"' in page}
    assert listed_incidents == on_page
    assert f'href="/fr/incidents/?entity={slug}"' in html(client, f"/fr/entities/{slug}/")


def test_entity_list_is_exactly_the_public_entities_alphabetically_with_counts(client, db):
    oracle = entity_oracle()
    rows = listed(client, "/entities/")
    assert {slug for slug, _ in rows} == set(oracle)
    assert len(rows) == len(oracle), "each entity once"
    names = [unescape(name) for _, name in rows]
    assert names == sorted(names, key=directory.sort_key)
    assert sorted(["zeta", "Émile", "eagle", "Apple", "ecole"], key=directory.sort_key) == [
        "Apple",
        "eagle",
        "ecole",
        "Émile",
        "zeta",
    ]
    first = main(html(client, "/entities/"))
    assert first.count('<th scope="row">') == min(50, len(oracle)) and directory.PAGE_SIZE == 50
    counts = dict(
        re.findall(r'entities/([^/"]+)/">[^<]*</a></th><td>[^<]*</td><td>[^<]*</td><td>(\d+)</td>', first)
    )
    for slug, n in counts.items():
        assert int(n) == len(set().union(*oracle[slug].values())), slug


def test_entity_list_kind_filter(client, db):
    oracle = entity_oracle()
    kinds = dict(Entity.objects.filter(slug__in=oracle).values_list("slug", "kind"))
    page = html(client, "/entities/?kind=regulator")
    assert {slug for slug, _ in listed(client, "/entities/?kind=regulator")} == {
        s for s, k in kinds.items() if k == "regulator"
    }
    assert '<a href="?kind=regulator" aria-current="page">Regulator (' in page
    fr = html(client, "/fr/entities/?kind=regulator")
    assert "Organisme de réglementation" in fr


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_entity_list_rejects_an_unknown_kind(client, db, prefix):
    page = html(client, f"{prefix}/entities/?kind=spaceship", status=400)
    assert "spaceship" in page and "company" in page and "regulator" in page
    assert f'href="{prefix}/entities/"' in main(page)


def test_entity_named_only_in_a_draft_is_not_public(client, editor, reviewer, clock):
    entity = actions.create_entity(
        actor=editor, slug="t-draft-only-corp", name="Draft Only Corp", kind="company"
    )
    system = actions.create_system(
        actor=editor, slug="t-draft-only-bot", name="Draft Only Bot", system_type="chatbot", developer=entity
    )
    data = factories.incident_data(
        entities=[
            {"slug": entity.slug, "roles": ["developer"], "description_en": "x", "description_fr": "x"}
        ],
        systems=[{"slug": system.slug, "involvement_en": "Used.", "involvement_fr": "Utilisé."}],
        responses=[],
    )
    record = factories.draft(editor, "incident", data, clock)
    for status in ("screening", "review"):
        if status == "review":
            actions.set_status(record, actor=editor, status=status, clock=clock)
        for prefix in ("", "/fr"):
            html(client, f"{prefix}/entities/{entity.slug}/", status=404)
            html(client, f"{prefix}/systems/{system.slug}/", status=404)
        assert entity.slug not in {s for s, _ in listed(client, "/entities/")}
        assert system.slug not in {s for s, _ in listed(client, "/systems/", SYSTEM_ROW)}
        assert entity.slug not in html(client, "/entities/?kind=company")
    # An entity that no record names at all is not public either.
    html(client, "/entities/t-nobody-names-me/", status=404)

    # Published, it becomes public; withdrawn (its only record), it is gone again.
    actions.publish_record(
        record, actor=reviewer, changelog_en="First.", changelog_fr="Premier.", clock=clock
    )
    assert "Draft Only Corp" in html(client, f"/entities/{entity.slug}/")
    assert "Draft Only Bot" in html(client, f"/systems/{system.slug}/")
    assert entity.slug in {s for s, _ in listed(client, "/entities/")}
    record_page = html(client, f"/incidents/{record.slug}/")
    assert (
        f'href="/entities/{entity.slug}/"' in record_page and f'href="/systems/{system.slug}/"' in record_page
    )

    actions.withdraw_record(record, actor=reviewer, reason_en="Duplicate.", reason_fr="Doublon.", clock=clock)
    for prefix in ("", "/fr"):
        html(client, f"{prefix}/entities/{entity.slug}/", status=404)
        html(client, f"{prefix}/systems/{system.slug}/", status=404)
    assert entity.slug not in {s for s, _ in listed(client, "/entities/")}
    assert system.slug not in {s for s, _ in listed(client, "/systems/", SYSTEM_ROW)}
    withdrawn_page = html(client, f"/incidents/{record.slug}/")
    assert "Draft Only Corp" in withdrawn_page and f'href="/entities/{entity.slug}/"' not in withdrawn_page
    assert f'href="/systems/{system.slug}/"' not in withdrawn_page


def _publish_naming(editor, reviewer, clock, entity_roles: dict[str, list[str]], systems=()):
    data = factories.incident_data(
        entities=[
            {"slug": slug, "roles": roles, "description_en": "Named.", "description_fr": "Nommée."}
            for slug, roles in entity_roles.items()
        ],
        systems=[{"slug": s, "involvement_en": "Used.", "involvement_fr": "Utilisé."} for s in systems],
        responses=[],
    )
    return factories.published_incident(editor, reviewer, clock, **data)


def test_entity_page_shows_its_facts_in_both_languages(client, editor, reviewer, clock):
    entity = actions.create_entity(
        actor=editor,
        slug="t-facts-corp",
        name="Facts Corp",
        kind="company",
        jurisdiction="CA-QC",
        aliases=["FC", "Faits inc."],
        description_en="Makes facts.",
        same_as=[{"db": "wikidata", "id": "Q42"}],
    )
    own = actions.create_system(
        actor=editor, slug="t-facts-bot", name="Facts Bot", system_type="chatbot", developer=entity
    )
    unpublished = actions.create_system(
        actor=editor,
        slug="t-facts-secret",
        name="Secret Facts Model",
        system_type="chatbot",
        developer=entity,
    )
    record = _publish_naming(editor, reviewer, clock, {entity.slug: ["developer", "deployer"]}, [own.slug])
    factories.draft(
        editor,
        "incident",
        factories.incident_data(
            entities=[],
            responses=[],
            systems=[{"slug": unpublished.slug, "involvement_en": "x", "involvement_fr": "x"}],
        ),
        clock,
    )
    en = main(html(client, f"/entities/{entity.slug}/"))
    assert "<h1" in en and "Facts Corp" in en and "Company" in en and "CA-QC" in en and "FC, Faits inc." in en
    assert '<p class="entity-description">Makes facts.</p>' in en
    assert 'href="https://www.wikidata.org/wiki/Q42"' in en
    assert [role for role, _ in roles_on_page(en)] == ["developer", "deployer"]
    assert record.slug in en and 'class="badge badge-verification' in en
    assert f'href="/systems/{own.slug}/"' in en and "Secret Facts Model" not in en

    fr = main(html(client, f"/fr/entities/{entity.slug}/"))
    assert "Entreprise" in fr and "Développeur" in fr and "Déployeur" in fr
    assert '<p lang="en" class="entity-description">Makes facts.</p>' in fr
    assert "Anglais seulement" in fr
    assert f'href="/fr/incidents/{record.slug}/"' in fr and f'href="/fr/systems/{own.slug}/"' in fr
    assert factories.INCIDENT["title_fr"].replace("'", "&#x27;") in fr


def test_french_pages_translate_their_own_words(client, db):
    """Needs the French catalogue entries of tmp-translations-directory.tsv."""
    fr = html(client, "/fr/entities/")
    assert "Toutes les entités" in html(client, "/fr/entities/openai/")
    assert "Territoire" in fr and "entités</p>" in fr and ">Nom</th>" in fr
    assert "Tous les systèmes d'IA" in html(client, "/fr/systems/chatgpt/")


def test_entity_and_system_names_are_escaped(client, editor, reviewer, clock):
    hostile = '<script>alert("x")</script> Corp'
    entity = actions.create_entity(
        actor=editor, slug="t-hostile", name=hostile, kind="company", aliases=[hostile]
    )
    system = actions.create_system(
        actor=editor, slug="t-hostile-bot", name=f"{hostile} Bot", system_type="chatbot", developer=entity
    )
    record = _publish_naming(editor, reviewer, clock, {entity.slug: ["developer"]}, [system.slug])
    for path in (
        f"/entities/{entity.slug}/",
        "/entities/?kind=company",
        f"/systems/{system.slug}/",
        "/systems/",
        f"/incidents/{record.slug}/",
    ):
        assert "<script>alert" not in html(client, path), path
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Corp" in html(
        client, f"/entities/{entity.slug}/"
    )


def test_record_pages_link_their_entities_and_systems_to_public_pages(client, db):
    seen_entities, seen_systems = set(), set()
    for doc in public_docs():
        path = f"/{'incidents' if doc['type'] == 'incident' else 'hazards'}/{doc['slug']}/"
        page = html(client, path)
        if doc is public_docs()[0]:
            assert 'href="/fr/entities/' in html(client, f"/fr{path}")
        for e in doc["entities"]:
            if e["roles"]:
                assert f'href="/entities/{e["slug"]}/"' in page, (path, e["slug"])
                seen_entities.add(e["slug"])
        for s in doc["systems"]:
            assert f'href="/systems/{s["slug"]}/"' in page, (path, s["slug"])
            seen_systems.add(s["slug"])
    assert seen_entities and seen_systems
    for slug in seen_entities:
        html(client, f"/entities/{slug}/")
    for slug in seen_systems:
        html(client, f"/systems/{slug}/")


# -- AI system pages --------------------------------------------------------------------------------------------


def test_every_system_page_lists_exactly_its_public_records(client, db):
    oracle = system_oracle()
    assert oracle
    for slug, records in oracle.items():
        page = main(html(client, f"/systems/{slug}/"))
        body = page.split('<section aria-labelledby="h-records">', 1)[1]
        assert set(RECORD_LINK.findall(body)) == records, slug
    assert {slug for slug, _ in listed(client, "/systems/", SYSTEM_ROW)} == set(oracle)


def test_system_page_links_its_developer_only_when_public(client, editor, reviewer, clock):
    hidden = actions.create_entity(actor=editor, slug="t-unnamed-maker", name="Unnamed Maker", kind="company")
    shown = actions.create_entity(actor=editor, slug="t-named-maker", name="Named Maker", kind="company")
    a = actions.create_system(
        actor=editor, slug="t-sys-a", name="Sys A", system_type="chatbot", developer=hidden
    )
    b = actions.create_system(
        actor=editor, slug="t-sys-b", name="Sys B", system_type="chatbot", developer=shown
    )
    _publish_naming(editor, reviewer, clock, {shown.slug: ["developer"]}, [a.slug, b.slug])
    page_a = main(html(client, f"/systems/{a.slug}/"))
    assert "Unnamed Maker" in page_a and "/entities/t-unnamed-maker/" not in page_a
    page_b = main(html(client, f"/fr/systems/{b.slug}/"))
    assert 'href="/fr/entities/t-named-maker/">Named Maker</a>' in page_b
    assert "Robot conversationnel" in page_b and "Développeur" in page_b
    assert 'href="/fr/incidents/?system=t-sys-b"' in page_b
    listing = main(html(client, "/systems/"))
    assert 'href="/entities/t-named-maker/"' in listing and "/entities/t-unnamed-maker/" not in listing


# -- query counts -----------------------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200, path
    return len(ctx.captured_queries)


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_directory_query_counts_do_not_grow(client, editor, reviewer, clock, prefix):
    maker = actions.create_entity(actor=editor, slug="t-count-corp", name="Count Corp", kind="company")
    bots = [
        actions.create_system(
            actor=editor,
            slug=f"t-count-bot-{i}",
            name=f"Count Bot {i}",
            system_type="chatbot",
            developer=maker,
        )
        for i in range(3)
    ]
    _publish_naming(editor, reviewer, clock, {maker.slug: ["developer"]}, [bots[0].slug])
    paths = (
        f"{prefix}/entities/{maker.slug}/",
        f"{prefix}/entities/",
        f"{prefix}/entities/?kind=company",
        f"{prefix}/systems/{bots[0].slug}/",
        f"{prefix}/systems/",
    )
    before = [_queries(client, p) for p in paths]
    all_roles = get_taxonomy()["entity_role"].slugs()
    for i in range(4):  # more records, every role, more systems, more entities
        extra = actions.create_entity(
            actor=editor, slug=f"t-count-extra-{i}", name=f"Extra {i}", kind="court"
        )
        _publish_naming(
            editor,
            reviewer,
            clock,
            {maker.slug: all_roles, extra.slug: ["regulator"]},
            [b.slug for b in bots],
        )
    after = [_queries(client, p) for p in paths]
    assert before == after == [3, 3, 2, 2, 2], (before, after)
    # entity page: entity, its public roles with their records, its public systems;
    # entity list: the public layer's state, every public name (sorting, kind counts: read once per state and
    # language, so not again for the second list), the page's rows with their counts; system list: every public
    # name, the page's rows;
    # system page: system with its developer, its public records.


def test_earlier_versions_do_not_link_entities(client, editor, reviewer, incident):
    """An earlier version may name an entity that is no longer public: only the current version links."""
    actions.update_record(
        incident, actor=editor, expected_lock_version=incident.lock_version, data={"summary_en": "Corrected."}
    )
    actions.publish_record(incident, actor=reviewer, changelog_en="Fixed.", changelog_fr="Corrigé.")
    current = html(client, f"/incidents/{incident.slug}/")
    earlier = html(client, f"/incidents/{incident.slug}/v/1/")
    assert 'href="/entities/t-acme-ai/"' in current and "Acme AI Inc." in earlier
    assert 'href="/entities/t-' not in earlier


def test_entity_list_shows_an_entity_from_the_publication_that_names_it(client, editor, reviewer, clock):
    """The list's names are read once per state of the public layer: a publication that makes an entity public
    shows it on the next request, in each language."""
    actions.create_entity(actor=editor, slug="t-later-corp", name="Later Corp", kind="company")
    _publish_naming(editor, reviewer, clock, {})
    for prefix in ("", "/fr"):
        assert "Later Corp" not in client.get(f"{prefix}/entities/").content.decode()
    _publish_naming(editor, reviewer, clock, {"t-later-corp": ["developer"]})
    for prefix in ("", "/fr"):
        assert "Later Corp" in client.get(f"{prefix}/entities/").content.decode()

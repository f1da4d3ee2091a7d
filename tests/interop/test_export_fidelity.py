"""What the OECD and AIID exports mean, pinned value by value (SPEC §7, issue 18).

- OECD: every `oecd:` crosswalk target of taxonomy.yaml is spelled exactly as a value of OECD's own list
  (src/caim/interop/exports/oecd_vocabulary.yaml), and every OECD export of every published record fills every
  mandatory criterion of the reporting framework with values of those lists.
- AIID: our table of AIID field cardinalities matches AIID's taxonomy definitions, and every AIID export gives a
  single-valued field at most one value, always a permitted one.
- Value tables, one per crosswalk direction: given a record with these CAIM values, the export says these OECD or
  AIID values. The tables are written out here, not computed from taxonomy.yaml, so a wrong target fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from caim.interop.aiid.reader import default_aiid_dir
from caim.interop.exports import aiid as aiid_export
from caim.interop.exports.aiid import AIID_FIELDS, COUNT, MULTI, SINGLE, aiid_submission
from caim.interop.exports.oecd import oecd_export, oecd_vocabulary
from caim.records.fields import get_path
from caim.records.models import PublicRecord
from caim.taxonomy.loader import get_taxonomy

VOCABULARY = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "src/caim/interop/exports/oecd_vocabulary.yaml").read_text("utf-8")
)
LISTS = VOCABULARY["lists"]
TAXA_FILE = Path("aiid-repo") / "taxa_definitions_from_playwright_seed.json"
TAXA_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aiid" / TAXA_FILE

# The OECD list each crosswalk target field of taxonomy.yaml takes its values from.
OECD_LIST_OF_FIELD = {
    "record_type": "record_type",
    "severity_incident": "severity_incident",
    "severity_hazard": "severity_hazard",
    "harm_types": "harm_types",
    "affected_stakeholders": "affected_stakeholders",
    "industries": "industries",
    "ai_principles": "ai_principles",
    "lifecycle_stage": "lifecycle_stage",
}


def raw_values():
    data = yaml.safe_load(Path(settings.CAIM_TAXONOMY_FILE).read_text(encoding="utf-8"))
    for vocab in data["vocabularies"]:
        for value in vocab["values"]:
            yield vocab["slug"], value["slug"], value["crosswalk"]


def doc(record_type: str = "incident", **taxonomy) -> dict:
    """A minimal public document (records/versions.py shape) with the given taxonomy values."""
    return {
        "id": 7,
        "slug": "t",
        "version": 1,
        "type": record_type,
        "title_en": "Title",
        "title_fr": "Titre",
        "summary_en": "Summary.",
        "summary_fr": "Résumé.",
        "severity": taxonomy.pop("severity", "significant"),
        "occurred": "2024-01-02",
        "taxonomy": {"domains": [], "harm_types": [], "ai_pathways": [], "lifecycle_phases": []} | taxonomy,
        "harms": [],
        "entities": [],
        "systems": [],
        "sources": [
            {
                "number": 1,
                "url": "https://a.example/1",
                "title": "A",
                "publisher": "P",
                "date_published": None,
            }
        ],
        "same_as": [],
    }


def oecd(d: dict) -> dict:
    return oecd_export(d, record_url="https://m.example/r/", site_name="M", site_url="https://m.example")


def suggestions(d: dict) -> dict:
    return aiid_submission(d, record_url="https://m.example/r/", site_name="M")["taxonomy_suggestions"]


# -- OECD: value lists ------------------------------------------------------------------------------------------


def test_the_export_reads_the_vocabulary_file():
    assert oecd_vocabulary() == VOCABULARY


def test_every_oecd_crosswalk_target_is_spelled_as_oecd_spells_it():
    bad = []
    for vocab, slug, crosswalk in raw_values():
        if crosswalk["oecd"] == "none":
            continue
        for field, targets in crosswalk["oecd"].items():
            allowed = LISTS[OECD_LIST_OF_FIELD[field]]
            bad += [f"{vocab}.{slug}: oecd.{field} {t!r}" for t in targets if t not in allowed]
    assert not bad, "\n".join(bad)


def test_oecd_lists_are_clean():
    for name, values in LISTS.items():
        assert values and len(set(values)) == len(values), name
        assert all(isinstance(v, str) and v == v.strip() for v in values), name
    assert set(LISTS["unverified_industries"]) <= set(LISTS["industries"])
    assert VOCABULARY["reporter"]["type"] in LISTS["reporter_types"]


def test_every_ai_pathway_has_an_oecd_relation():
    pathways = [slug for vocab, slug, _ in raw_values() if vocab == "ai_pathway"]
    relation = VOCABULARY["ai_pathway_relation"]
    assert set(relation) == set(pathways)
    for slug, values in relation.items():
        assert values and set(values) <= set(LISTS["ai_system_relation"]) - {"Unknown"}, slug


def check_mandatory(out: dict, record_type: str) -> list[str]:
    """Problems with the mandatory criteria of one OECD export (empty: it validates)."""
    problems = []
    for criterion in VOCABULARY["mandatory_criteria"]:
        for key in criterion["keys"]:
            value = get_path(out, key)
            if value in (None, "", [], {}):
                problems.append(f"{criterion['criterion']}: {key} is empty")
            if value in ("Unknown", ["Unknown"]) and not criterion["unknown_allowed"]:
                problems.append(f"{criterion['criterion']}: {key} may not be unknown")
    severity_list = LISTS["severity_incident" if record_type == "incident" else "severity_hazard"]
    checks = {
        "type": ([out["type"]], LISTS["record_type"]),
        "severity.oecd": (out["severity"]["oecd"], severity_list),
        "harm_types": (out["harm_types"], LISTS["harm_types"]),
        "affected_stakeholders": (out["affected_stakeholders"], LISTS["affected_stakeholders"]),
        "industries": (out["industries"], LISTS["industries"]),
        "ai_principles": (out["ai_principles"], LISTS["ai_principles"]),
        "lifecycle_stages": (out["lifecycle_stages"], LISTS["lifecycle_stage"]),
        "ai_system_relation.relation": (out["ai_system_relation"]["relation"], LISTS["ai_system_relation"]),
        "reporter.type": ([out["reporter"]["type"]], LISTS["reporter_types"]),
    }
    for harm in out["harms"]:
        checks.setdefault("harms[].harm_types", ([], LISTS["harm_types"]))[0].extend(harm["harm_types"])
        checks.setdefault("harms[].severity", ([], severity_list))[0].extend(harm["severity"])
    for key, (values, allowed) in checks.items():
        problems += [f"{key}: {v!r} is not an OECD value" for v in values if v not in allowed]
    return problems


def test_every_oecd_export_fills_every_mandatory_criterion_with_oecd_values(client, db):
    checked = 0
    for public in PublicRecord.objects.listed().order_by("pk"):
        base = "incidents" if public.record_type == "incident" else "hazards"
        for prefix in ("", "/fr"):
            out = json.loads(client.get(f"{prefix}/{base}/{public.slug}/oecd.json").content)
            assert not check_mandatory(out, public.record_type), (
                public.slug,
                check_mandatory(out, public.record_type),
            )
            assert out["reporter"]["primary_reports"] == [s["url"] for s in out["sources"]]
            checked += 1
    assert checked >= 40


def test_the_mandatory_check_sees_an_empty_or_foreign_value():
    out = oecd(doc(harm_types=["economic_harm"], ai_pathways=["malicious_use"]))
    assert check_mandatory(out, "incident") == []
    assert check_mandatory(out | {"title": ""}, "incident") == ["Title: title is empty"]
    assert check_mandatory(out | {"industries": ["Government, security and defence"]}, "incident") == [
        "industries: 'Government, security and defence' is not an OECD value"
    ]
    unknown = out | {"reporter": out["reporter"] | {"type": "Unknown"}}
    assert "reporter.type: 'Unknown' is not an OECD value" in check_mandatory(unknown, "incident")


# -- OECD: value tables (CAIM value -> OECD values) -------------------------------------------------------------

DOMAIN_INDUSTRIES = {
    "defence_security": ["Government, security, and defence"],
    "employment": ["Business processes and support services"],
    "health": ["Healthcare, drugs, and biotechnology"],
    "education": ["Education and training"],
    "public_services": ["Government, security, and defence"],
    "justice_legal": ["Government, security, and defence"],
    "law_enforcement": ["Government, security, and defence"],
    "finance": ["Financial and insurance services"],
    "elections_democracy": ["Government, security, and defence"],
    "media_information": ["Media, social platforms, and marketing"],
    "transportation": ["Mobility and autonomous vehicles"],
    "housing": ["Real estate"],
    "critical_infrastructure": [
        "Energy, raw materials and utilities",
        "IT infrastructure and hosting",
        "Digital security",
    ],
    "consumer_technology": ["Consumer services", "Consumer products"],
    "immigration": ["Government, security, and defence"],
    "environment": ["Environmental services", "Agriculture"],
    "research_science": [],  # no OECD industry: named in crosswalk_notes
    "social_media": ["Media, social platforms, and marketing"],
}


@pytest.mark.parametrize("domain", sorted(DOMAIN_INDUSTRIES))
def test_oecd_industry_of_each_domain(domain):
    assert oecd(doc(domains=[domain]))["industries"] == DOMAIN_INDUSTRIES[domain]


def test_every_domain_is_in_the_industry_table():
    assert set(DOMAIN_INDUSTRIES) == {slug for vocab, slug, _ in raw_values() if vocab == "domain"}


HARM_TYPES = {
    "fraud_impersonation": ["Economic/Property", "Psychological"],
    "cyber_incident": ["Economic/Property", "Public interest"],
    "economic_harm": ["Economic/Property"],
    "physical_harm": ["Physical"],
    "psychological_harm": ["Psychological"],
    "privacy_violation": ["Human or fundamental rights"],
    "discrimination_bias": ["Human or fundamental rights"],
    "misinformation_manipulation": ["Public interest"],
    "rights_freedoms": ["Human or fundamental rights"],
    "child_safety": ["Psychological", "Physical"],
    "public_service_disruption": ["Public interest"],
    "environmental_harm": ["Environmental"],
    "reputational_harm": ["Reputational"],
    "democratic_process": ["Public interest", "Human or fundamental rights"],
}


@pytest.mark.parametrize("harm_type", sorted(HARM_TYPES))
def test_oecd_harm_types_of_each_harm_type(harm_type):
    out = oecd(doc(harm_types=[harm_type]))
    assert out["harm_types"] == HARM_TYPES[harm_type]


def test_every_harm_type_is_in_the_harm_table():
    assert set(HARM_TYPES) == {slug for vocab, slug, _ in raw_values() if vocab == "harm_type"}


@pytest.mark.parametrize(
    ("record_type", "severity", "oecd_type", "oecd_severity"),
    [
        ("incident", "minor", "AI incident", ["AI incident"]),
        ("incident", "significant", "AI incident", ["AI incident"]),
        ("incident", "severe", "AI incident", ["Serious AI incident"]),
        ("incident", "critical", "AI incident", ["Serious AI incident", "AI disaster"]),
        ("hazard", "minor", "AI hazard", ["AI hazard"]),
        ("hazard", "significant", "AI hazard", ["AI hazard"]),
        ("hazard", "severe", "AI hazard", ["Serious AI hazard"]),
        ("hazard", "critical", "AI hazard", ["Serious AI hazard"]),
    ],
)
def test_oecd_type_and_severity(record_type, severity, oecd_type, oecd_severity):
    out = oecd(doc(record_type, severity=severity))
    assert out["type"] == oecd_type
    assert out["severity"] == {"monitor": severity, "oecd": oecd_severity}


LIFECYCLE = {
    "design": "Plan and design",
    "data": "Collect and process data",
    "development": "Build and use model",
    "evaluation": "Verify and validate",
    "deployment": "Deploy",
    "operation": "Operate and monitor",
    "retirement": "Retire/decommission",
}


def test_oecd_lifecycle_stage_of_each_phase():
    for phase, stage in LIFECYCLE.items():
        assert oecd(doc(lifecycle_phases=[phase]))["lifecycle_stages"] == [stage], phase
    everything = oecd(doc(lifecycle_phases=list(reversed(LIFECYCLE))))["lifecycle_stages"]
    assert everything == list(LIFECYCLE.values())  # OECD's lifecycle order, whatever the record's


RELATION = {
    "design_flaw": ["Development"],
    "data_issue": ["Development"],
    "performance_failure": ["Malfunction"],
    "security_vulnerability": ["Malfunction"],
    "emergent_behaviour": ["Malfunction"],
    "malicious_use": ["Use"],
    "use_beyond_intended_scope": ["Use"],
    "insufficient_oversight": ["Use"],
    "over_reliance": ["Use"],
}


@pytest.mark.parametrize("pathway", sorted(RELATION))
def test_oecd_relation_of_each_ai_pathway(pathway):
    assert oecd(doc(ai_pathways=[pathway]))["ai_system_relation"]["relation"] == RELATION[pathway]


def test_relation_lists_every_way_in_oecd_order_or_unknown():
    both = oecd(doc(ai_pathways=["over_reliance", "performance_failure", "data_issue", "malicious_use"]))
    assert both["ai_system_relation"]["relation"] == ["Development", "Use", "Malfunction"]
    in_file_order = ["malicious_use", "performance_failure", "data_issue", "over_reliance"]
    assert both["ai_system_relation"]["pathways"] == [
        get_taxonomy().label("ai_pathway", slug, "en") for slug in in_file_order
    ]
    none = oecd(doc())
    assert none["ai_system_relation"] == {"relation": ["Unknown"], "pathways": [], "systems": []}


def test_relation_names_each_system_with_its_involvement():
    d = doc(ai_pathways=["performance_failure"])
    d["systems"] = [
        {
            "name": "Bot",
            "system_type": "chatbot",
            "developer": None,
            "involvement_en": "",
            "involvement_fr": "Il a",
        },
        {
            "name": "Cam",
            "system_type": "other",
            "developer": None,
            "involvement_en": "",
            "involvement_fr": "",
        },
    ]
    out = oecd(d)
    assert out["ai_system_relation"]["systems"] == [
        {"name": "Bot", "involvement": "Il a"},  # the other language when the export's has none
        {"name": "Cam", "involvement": None},
    ]


def test_reporter_is_the_monitor_with_its_sources_as_primary_reports():
    d = doc()
    d["sources"] = [
        {"number": 2, "url": "https://b.example/", "title": "B", "publisher": "Q", "date_published": None},
        {"number": 1, "url": "https://a.example/", "title": "A", "publisher": "P", "date_published": None},
    ]
    out = oecd_export(
        d, record_url="https://m.example/r/", country="FR", site_name="M", site_url="https://m.ex"
    )
    assert out["reporter"] == {
        "name": "M",
        "type": "Third party (independent monitor, media, researcher or civil society)",
        "url": "https://m.ex/",
        "country": "FR",
        "primary_reports": ["https://a.example/", "https://b.example/"],
    }
    french = oecd_export(d, record_url="https://m.example/r/", lang="fr")["reporter"]
    assert french["name"] == settings.CAIM_SITE_NAME_FR and french["url"] == settings.CAIM_SITE_URL + "/"
    assert oecd_export(d, record_url="https://m.example/r/")["reporter"]["name"] == settings.CAIM_SITE_NAME


# -- AIID: cardinalities -----------------------------------------------------------------------------------------


def aiid_definitions() -> dict[tuple[str, str], dict]:
    """{(namespace, short name): field definition} from AIID's taxonomy definitions (full file, else the cut)."""
    full = default_aiid_dir() / TAXA_FILE
    path = full if full.exists() else TAXA_FIXTURE
    out = {}
    for taxonomy in json.loads(path.read_text(encoding="utf-8")):
        for f in taxonomy["field_list"]:
            out.setdefault((taxonomy["namespace"], f["short_name"]), f)
    return out


def test_cardinality_table_matches_aiids_definitions():
    definitions = aiid_definitions()
    for key, (namespace, name, cardinality) in AIID_FIELDS.items():
        if (namespace, name) not in definitions:  # the cut kept in the tests lacks some fields (GMF, counts)
            assert not (default_aiid_dir() / TAXA_FILE).exists(), key
            continue
        display = definitions[namespace, name]["display_type"]
        assert cardinality == {"enum": SINGLE, "int": COUNT}.get(display, MULTI), (key, display)
        assert display in ("enum", "int", "multi", "list"), (key, display)


def check_aiid(suggested: dict, *, cardinality: bool = True) -> list[str]:
    """Problems of AIID suggestions: fields not in the table, several values for a single-valued field (unless
    `cardinality` is False: alternatives may be several), values not permitted, duplicates."""
    definitions = aiid_definitions()
    by_name = {(ns, name): card for ns, name, card in AIID_FIELDS.values()}
    problems = []
    for namespace, fields in suggested.items():
        for name, values in fields.items():
            if (namespace, name) not in by_name:
                problems.append(f"{namespace}/{name}: not in the cardinality table")
                continue
            if cardinality and by_name[namespace, name] == SINGLE and len(values) > 1:
                problems.append(f"{namespace}/{name}: {len(values)} values for a single-valued field")
            permitted = (definitions.get((namespace, name)) or {}).get("permitted_values")
            if permitted:
                problems += [f"{namespace}/{name}: {v!r} not permitted" for v in values if v not in permitted]
            if len(set(values)) != len(values):
                problems.append(f"{namespace}/{name}: duplicates")
    return problems


def test_every_aiid_export_respects_aiids_cardinalities_and_values(client, db):
    incidents = PublicRecord.objects.listed().filter(record_type="incident").order_by("pk")
    assert incidents.count() >= 18
    for public in incidents:
        data = json.loads(client.get(f"/incidents/{public.slug}/aiid.json").content)
        assert not check_aiid(data["taxonomy_suggestions"]), (
            public.slug,
            check_aiid(data["taxonomy_suggestions"]),
        )
        assert not check_aiid(data["taxonomy_alternatives"], cardinality=False), public.slug
        # an alternative is never also the suggestion
        for namespace, fields in data["taxonomy_alternatives"].items():
            for name, values in fields.items():
                assert not set(values) & set(data["taxonomy_suggestions"].get(namespace, {}).get(name, [])), (
                    public.slug,
                    name,
                )


def test_the_cardinality_check_sees_two_values():
    assert check_aiid({"CSETv1": {"AI Harm Level": ["AI tangible harm event"]}}) == []
    assert check_aiid(
        {"CSETv1": {"AI Harm Level": ["AI tangible harm event", "AI tangible harm near-miss"]}}
    ) == ["CSETv1/AI Harm Level: 2 values for a single-valued field"]
    assert check_aiid({"MIT": {"Entity": ["Robot"]}}) == ["MIT/Entity: 'Robot' not permitted"]


# -- AIID: value tables (CAIM value -> AIID values) --------------------------------------------------------------

DOMAIN_SECTORS = {
    "health": ["human health and social work activities"],
    "transportation": ["transportation and storage"],
    "finance": ["financial and insurance activities"],
    "education": ["Education"],
    "law_enforcement": ["law enforcement"],
    "defence_security": ["defense"],
}


@pytest.mark.parametrize("domain", sorted(DOMAIN_SECTORS))
def test_aiid_sector_of_a_domain(domain):
    assert suggestions(doc(domains=[domain]))["CSETv1"]["Sector of Deployment"] == DOMAIN_SECTORS[domain]


def test_a_single_valued_field_named_only_among_several_is_not_suggested():
    # "incident" names two AI Harm Levels (event, near-miss) and two Tangible Harm values: neither in particular
    out = aiid_submission(doc(), record_url="https://m.example/r/", site_name="M")
    cset = out["taxonomy_suggestions"].get("CSETv1", {})
    assert "AI Harm Level" not in cset and "Tangible Harm" not in cset
    assert out["taxonomy_alternatives"]["CSETv1"] == {
        "AI Harm Level": ["AI tangible harm event", "AI tangible harm near-miss"],
        "Tangible Harm": [
            "tangible harm definitively occurred",
            "imminent risk of tangible harm (near miss) did occur",
        ],
    }
    # economic harm lists four MIT subdomains: none is suggested, and alone it suggests its domain only
    mit = aiid_submission(doc(harm_types=["economic_harm"], ai_pathways=[]), record_url="https://m.example/r/",
                          site_name="M")["taxonomy_suggestions"].get("MIT", {})  # fmt: skip
    assert "Risk Subdomain" not in mit and mit["Risk Domain"] == ["6. Socioeconomic & Environmental Harms"]
    # a count (Lives Lost) is read on import only: a record does not say the number
    out = aiid_submission(doc(harm_types=["physical_harm"]), record_url="https://m.example/r/", site_name="M")
    named = {name for fields in (out["taxonomy_suggestions"], out["taxonomy_alternatives"]) for f in fields.values()
             for name in f}  # fmt: skip
    assert not named & {"Lives Lost", "Injuries"}


@pytest.mark.parametrize(
    ("pathways", "entity", "intent", "timing"),
    [
        (["malicious_use"], "Human", "Intentional", "Post-deployment"),
        (["performance_failure"], "AI", "Unintentional", "Post-deployment"),
        (["design_flaw"], "Human", "Unintentional", "Pre-deployment"),
        # two against one: the value most pathways name
        (
            ["malicious_use", "performance_failure", "emergent_behaviour"],
            "AI",
            "Unintentional",
            "Post-deployment",
        ),
        # a tie: the first named in the vocabulary's order
        (["performance_failure", "insufficient_oversight"], "AI", "Unintentional", "Post-deployment"),
        (["malicious_use", "security_vulnerability"], "Human", "Intentional", "Post-deployment"),
    ],
)
def test_mit_causal_fields_of_pathways(pathways, entity, intent, timing):
    mit = suggestions(doc(ai_pathways=pathways))["MIT"]
    assert (mit["Entity"], mit["Intent"], mit["Timing"]) == ([entity], [intent], [timing])


def test_mit_domain_follows_the_chosen_subdomain():
    # economic harm names domain 6 only; performance failure names 7 and 7.3: the subdomain decides the domain
    mit = suggestions(doc(harm_types=["economic_harm"], ai_pathways=["performance_failure"]))["MIT"]
    assert mit["Risk Subdomain"] == ["7.3. Lack of capability or robustness"]
    assert mit["Risk Domain"] == ["7. AI system safety, failures, and limitations"]
    # privacy violation (2, 2.1) with a performance failure (7, 7.3): a tie, the harm type is named first
    mit = suggestions(doc(harm_types=["privacy_violation"], ai_pathways=["performance_failure"]))["MIT"]
    assert mit["Risk Subdomain"][0].startswith("2.1.") and mit["Risk Domain"] == ["2. Privacy & Security"]
    # no subdomain at all: the domain most values name
    mit = suggestions(doc(harm_types=["economic_harm"]))["MIT"]
    assert mit == {"Risk Domain": ["6. Socioeconomic & Environmental Harms"]}


def test_mit_domain_without_a_matching_candidate_takes_the_most_named():
    chosen = {"mit_risk_subdomain": "7.3. Lack of capability or robustness"}
    assert aiid_export.choose_single("mit_risk_domain", ["6. A", "2. B", "2. B"], chosen) == "2. B"
    assert aiid_export.choose_single("mit_risk_domain", ["6. A", "7. C", "6. A"], chosen) == "7. C"
    assert aiid_export.choose_single("mit_entity", ["Human", "AI", "AI"], {}) == "AI"
    assert aiid_export.most_named(["b", "a", "a", "b"]) == "b"


# -- OECD: principles, systems and the record's own fields (mutation survivors) ----------------------------------


@pytest.mark.parametrize(
    ("taxonomy", "principles"),
    [
        ({"harm_types": ["physical_harm"]}, ["Safety"]),
        (
            {"harm_types": ["privacy_violation", "discrimination_bias"]},
            ["Privacy & data governance", "Fairness"],
        ),
        ({"domains": ["elections_democracy"]}, ["Democracy & human autonomy"]),
        # harm types first, then pathways, then domains; each principle once
        (
            {
                "harm_types": ["physical_harm"],
                "ai_pathways": ["malicious_use"],
                "domains": ["elections_democracy"],
            },
            ["Safety", "Robustness & digital security", "Democracy & human autonomy"],
        ),
    ],
)
def test_oecd_ai_principles_come_from_harm_types_pathways_and_domains(taxonomy, principles):
    assert oecd(doc(**taxonomy))["ai_principles"] == principles


def test_oecd_ai_systems_name_their_type_in_the_export_language_and_their_developer():
    d = doc()
    d["systems"] = [
        {"name": "FaceMatch", "system_type": "facial_recognition", "developer": {"name": "Acme AI"}},
        {"name": "Bare", "system_type": "", "developer": None},
    ]
    d["published_at"] = "2024-05-06T07:08:09+00:00"
    english = oecd(d)
    french = oecd_export(
        d, record_url="https://m.example/r/", site_name="M", site_url="https://m.example", lang="fr"
    )
    assert (
        english["ai_systems"][0]["developer"] == "Acme AI" and english["ai_systems"][1]["developer"] is None
    )
    assert english["ai_systems"][1]["type"] is None
    assert english["ai_systems"][0]["type"] != french["ai_systems"][0]["type"]  # the label in each language
    assert english["record"]["published_at"] == "2024-05-06T07:08:09+00:00"
    assert english["country"] == "CA"

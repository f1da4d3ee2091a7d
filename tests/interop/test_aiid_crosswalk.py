"""What the AIID -> CAIM crosswalk means, value by value (caim.interop.aiid.crosswalk and taxonomy.yaml `aiid`).

Each row of a table is one incident's AIID values and exactly the values of ours it must get: the rules a reader
would check (a harm type from a harm field, never from a failure cause; a domain from a sector only when the
sector names one domain). docs/interop-precision.md has the checked sample these rules were tuned on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from caim.interop.aiid.crosswalk import Crosswalk, map_incident
from caim.interop.aiid.importer import import_aiid
from caim.interop.aiid.reader import ClassificationRow
from caim.interop.models import AiidIncident
from caim.taxonomy.loader import get_taxonomy, parse_taxonomy

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aiid"

MIT1, MIT2, MIT3, MIT4 = (
    "1. Discrimination and Toxicity",
    "2. Privacy & Security",
    "3. Misinformation",
    "4. Malicious Actors & Misuse",
)
MIT6, MIT7 = "6. Socioeconomic & Environmental Harms", "7. AI system safety, failures, and limitations"


@pytest.fixture
def crosswalk() -> Crosswalk:
    # built per test (about 1 ms): a module-wide one would hide a broken from_taxonomy from mutation testing
    return Crosswalk.from_taxonomy(get_taxonomy())


def mit(domain: str, subdomain: str) -> dict[str, list[str]]:
    return {"mit_risk_domain": [domain], "mit_risk_subdomain": [subdomain]}


def sector(*names: str) -> dict[str, list[str]]:
    return {"cset_v1_sector_of_deployment": list(names)}


HARM_TYPES = [
    # failure causes give no harm type (MIT 7.3 names a cause: physical_harm came from it before)
    pytest.param(mit(MIT7, "7.3. Lack of capability or robustness"), [], id="mit-7.3-no-physical-harm"),
    pytest.param(
        mit(MIT7, "7.1. AI pursuing its own goals in conflict with human goals or values"), [], id="7.1"
    ),
    # exposure to toxic content says nothing about children nor about psychological harm
    pytest.param(mit(MIT1, "1.2. Exposure to toxic content"), [], id="mit-1.2-no-child-safety"),
    pytest.param(mit("5. Human-Computer Interaction", "5.1. Overreliance and unsafe use"), [], id="5.1"),
    pytest.param(
        mit("5. Human-Computer Interaction", "5.2. Loss of human agency and autonomy"), [], id="5.2"
    ),
    # the harm subdomains
    pytest.param(
        mit(MIT1, "1.1. Unfair discrimination and misrepresentation"), ["discrimination_bias"], id="1.1"
    ),
    pytest.param(mit(MIT1, "1.3. Unequal performance across groups"), ["discrimination_bias"], id="1.3"),
    pytest.param(
        mit(
            MIT2,
            "2.1. Compromise of privacy by obtaining, leaking or correctly inferring sensitive information",
        ),
        [],
        id="2.1-export-only",  # copyright and likeness cases share it: no privacy_violation on import
    ),
    pytest.param(
        mit(MIT2, "2.2. AI system security vulnerabilities and attacks"), ["cyber_incident"], id="2.2"
    ),
    pytest.param(
        mit(MIT3, "3.1. False or misleading information"), ["misinformation_manipulation"], id="3.1"
    ),
    pytest.param(
        mit(MIT3, "3.2. Pollution of information ecosystem and loss of consensus reality"),
        ["misinformation_manipulation"],
        id="3.2-not-democratic-process",
    ),
    pytest.param(
        mit(MIT4, "4.1. Disinformation, surveillance, and influence at scale"),
        ["misinformation_manipulation"],
        id="4.1-not-democratic-process",
    ),
    pytest.param(
        mit(MIT4, "4.2. Cyberattacks, weapon development or use, and mass harm"), [], id="4.2-weapons"
    ),
    pytest.param(
        mit(MIT4, "4.3. Fraud, scams, and targeted manipulation"), ["fraud_impersonation"], id="4.3"
    ),
    pytest.param(
        mit(MIT6, "6.2. Increased inequality and decline in employment quality"), ["economic_harm"], id="6.2"
    ),
    pytest.param(mit(MIT6, "6.5. Governance failure"), [], id="6.5-not-economic"),
    pytest.param(mit(MIT6, "6.6. Environmental harm"), ["environmental_harm"], id="6.6-not-economic"),
    # a domain without its subdomain says too little where the domain holds harms of several types
    pytest.param({"mit_risk_domain": [MIT4]}, [], id="domain-4-alone"),
    # CSETv1 harm fields
    pytest.param({"cset_v1_lives_lost": ["1 or more"]}, ["physical_harm"], id="lives-lost"),
    pytest.param({"cset_v1_injuries": ["1 or more"]}, ["physical_harm"], id="injuries"),
    pytest.param({"cset_v1_involving_minor": ["yes"]}, ["child_safety"], id="minor"),
    pytest.param({"cset_v1_involving_minor": ["maybe"]}, [], id="minor-maybe"),
    pytest.param({"cset_v1_involving_minor": ["no"]}, [], id="minor-no"),
    pytest.param({"cset_v1_harm_distribution_basis": ["race", "sex"]}, ["discrimination_bias"], id="basis"),
    pytest.param({"cset_v1_harm_distribution_basis": ["none"]}, [], id="basis-none"),
    pytest.param(
        {"cset_v1_tangible_harm": ["tangible harm definitively occurred"]}, [], id="tangible-is-no-type"
    ),
    # several harm fields at once: each gives its own value
    pytest.param(
        {
            **mit(MIT7, "7.3. Lack of capability or robustness"),
            "cset_v1_lives_lost": ["1 or more"],
            "cset_v1_involving_minor": ["yes"],
        },
        ["physical_harm", "child_safety"],
        id="crash-killing-a-minor",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("observed", "expected"), HARM_TYPES)
def test_harm_types(crosswalk, observed, expected):
    assert crosswalk.map(observed)[0].get("harm_type", []) == expected


DOMAINS = [
    # a sector that names several domains names none
    pytest.param(sector("information and communication"), [], id="information-and-communication-alone"),
    pytest.param(sector("public administration"), [], id="public-administration-alone"),
    pytest.param(sector("professional, scientific and technical activities"), [], id="professional"),
    pytest.param(sector("water supply"), [], id="water-supply"),
    # sectors that are no evidence of a domain at all
    pytest.param(
        sector("administrative and support service activities"), [], id="admin-support-no-employment"
    ),
    pytest.param(sector("wholesale and retail trade"), [], id="retail-no-consumer-technology"),
    pytest.param(sector("mining and quarrying"), [], id="no-equivalent"),
    # sectors that name one domain
    pytest.param(sector("defense"), ["defence_security"], id="defense"),
    pytest.param(sector("human health and social work activities"), ["health"], id="health"),
    pytest.param(sector("Education"), ["education"], id="education"),
    pytest.param(sector("law enforcement"), ["law_enforcement"], id="law-enforcement"),
    pytest.param(sector("financial and insurance activities"), ["finance"], id="finance"),
    pytest.param(sector("transportation and storage"), ["transportation"], id="transportation"),
    pytest.param(sector("real estate activities"), ["housing"], id="housing"),
    pytest.param(
        sector("electricity, gas, steam and air conditioning supply"),
        ["critical_infrastructure"],
        id="energy",
    ),
    pytest.param(sector("agriculture, forestry and fishing"), ["environment"], id="agriculture"),
    # an ambiguous sector beside a specific one: only the specific one counts
    pytest.param(
        sector("transportation and storage", "information and communication"), ["transportation"], id="mixed"
    ),
    pytest.param(
        sector("public administration", "law enforcement"), ["law_enforcement"], id="police-in-administration"
    ),
]


@pytest.mark.parametrize(("observed", "expected"), DOMAINS)
def test_domains(crosswalk, observed, expected):
    assert crosswalk.map(observed)[0].get("domain", []) == expected


def test_export_only_values_are_suggested_on_export_but_never_imported(crosswalk):
    privacy = get_taxonomy()["harm_type"]["privacy_violation"]
    assert privacy.export_only == {"aiid"} and privacy.crosswalk["aiid"]["mit_risk_subdomain"]
    assert ("harm_type", "privacy_violation") not in crosswalk.targets
    assert all(
        ("harm_type", "privacy_violation") not in keys for by_value in crosswalk.reverse.values()
        for keys in by_value.values()
    )  # fmt: skip


def test_an_ambiguous_value_stays_unmapped(crosswalk):
    observed = sector("information and communication", "defense")
    mapped, unmapped = crosswalk.map(observed)
    assert mapped == {"domain": ["defence_security"]}
    assert unmapped == sector("information and communication")


PATHWAYS = [
    # a failure cause is a pathway: MIT 7.3 with the AI as its cause
    pytest.param(
        {**mit(MIT7, "7.3. Lack of capability or robustness"), "mit_entity": ["AI"]},
        ["performance_failure"],
        id="7.3",
    ),
    pytest.param({"gmf_technical_failure": ["Prompt Injection"]}, ["security_vulnerability"], id="gmf"),
    pytest.param({"gmf_technical_failure": ["Distributional Bias"]}, ["data_issue"], id="gmf-data"),
    pytest.param({"mit_risk_domain": [MIT4], "mit_intent": ["Intentional"]}, ["malicious_use"], id="misuse"),
    pytest.param({"mit_risk_domain": [MIT4], "mit_intent": ["Unintentional"]}, [], id="misuse-contradicted"),
    pytest.param({"mit_timing": ["Post-deployment"], "mit_entity": ["Human"]}, [], id="coarse-alone"),
]


@pytest.mark.parametrize(("observed", "expected"), PATHWAYS)
def test_pathways(crosswalk, observed, expected):
    assert crosswalk.map(observed)[0].get("ai_pathway", []) == expected


# -- provenance -------------------------------------------------------------------------------------------------


def test_provenance_names_the_field_and_value_that_produced_each_value(crosswalk):
    observed = {
        **mit(MIT4, "4.3. Fraud, scams, and targeted manipulation"),
        **sector("information and communication", "financial and insurance activities"),
        "mit_intent": ["Intentional"],
    }
    result = crosswalk.explain(observed)
    assert result.provenance == {
        "harm_type": {
            "fraud_impersonation": [
                ["mit_risk_domain", MIT4],
                ["mit_risk_subdomain", "4.3. Fraud, scams, and targeted manipulation"],
            ]
        },
        "domain": {"finance": [["cset_v1_sector_of_deployment", "financial and insurance activities"]]},
        "ai_pathway": {"malicious_use": [["mit_risk_domain", MIT4]]},
    }
    # every mapped value has its provenance, and nothing else has one
    assert {v: sorted(s) for v, s in result.provenance.items()} == {
        v: sorted(s) for v, s in result.mapped.items()
    }


def cset_row(
    values: dict[str, str], parsed: dict[str, list[str]], published: bool = True
) -> ClassificationRow:
    return ClassificationRow("classifications_CSETv1.csv", 2, 1, "CSETv1", published, values, parsed)


def test_counts_and_severity_keep_the_number_aiid_wrote(crosswalk):
    row = cset_row(
        {"Lives Lost": "2", "Injuries": "0"},
        {"cset_v1_lives_lost": ["2"], "cset_v1_injuries": ["0"], "cset_v1_involving_minor": ["no"]},
    )
    columns, contributing = map_incident(crosswalk, [row])
    assert columns["harm_types"] == ["physical_harm"] and columns["severity"] == "critical"
    assert columns["provenance"] == {
        "harm_type": {"physical_harm": [["cset_v1_lives_lost", "2"]]},
        "severity": {"critical": [["cset_v1_lives_lost", "2"]]},
    }
    # a count of 0 is neither evidence nor a value left over
    assert columns["unmapped"] == {"cset_v1_involving_minor": ["no"]}
    assert contributing == {id(row)}


def test_zero_counts_and_unpublished_rows_give_nothing(crosswalk):
    zero = cset_row(
        {"Lives Lost": "0", "Injuries": "0"}, {"cset_v1_lives_lost": ["0"], "cset_v1_injuries": ["0"]}
    )
    columns, contributing = map_incident(crosswalk, [zero])
    assert (columns["harm_types"], columns["severity"], columns["provenance"]) == ([], "", {})
    assert columns["unmapped"] == {} and contributing == set()
    hidden = cset_row({"Injuries": "3"}, {"cset_v1_injuries": ["3"]}, published=False)
    columns, _ = map_incident(crosswalk, [hidden])
    assert columns["harm_types"] == [] and columns["provenance"] == {}


def test_provenance_is_stored_and_kept_through_reimports(db, clock):
    import_aiid(FIXTURE, clock=clock)
    surgery = AiidIncident.objects.get(incident_id=5)  # robotic surgery: 144 lives lost, 1,391 injuries
    assert surgery.harm_types == ["physical_harm"] and surgery.domains == ["health"]
    assert surgery.provenance["harm_type"] == {
        "physical_harm": [["cset_v1_lives_lost", "144"], ["cset_v1_injuries", "1391"]]
    }
    assert surgery.provenance["domain"] == {
        "health": [["cset_v1_sector_of_deployment", "human health and social work activities"]]
    }
    assert surgery.provenance["severity"] == {"critical": [["cset_v1_lives_lost", "144"]]}
    assert surgery.provenance["ai_pathway"]["performance_failure"] == [
        ["mit_risk_domain", MIT7],
        ["mit_risk_subdomain", "7.3. Lack of capability or robustness"],
    ]
    for incident in AiidIncident.objects.all():
        for vocabulary, column in (("harm_type", "harm_types"), ("domain", "domains")):
            assert sorted(incident.provenance.get(vocabulary, {})) == sorted(getattr(incident, column))
    before = {i.incident_id: (i.provenance, i.updated_at) for i in AiidIncident.objects.all()}
    result = import_aiid(FIXTURE, clock=clock)
    assert result.counts["incidents_updated"] == 0
    assert {i.incident_id: (i.provenance, i.updated_at) for i in AiidIncident.objects.all()} == before


def test_a_reimport_rewrites_provenance_left_by_older_rules(db, clock):
    """A database imported before provenance existed (or under older rules) gets it on the next run."""
    import_aiid(FIXTURE, clock=clock)
    expected = AiidIncident.objects.get(incident_id=5).provenance
    AiidIncident.objects.filter(incident_id=5).update(provenance={})
    result = import_aiid(FIXTURE, clock=clock)
    assert result.counts["incidents_updated"] == 1
    assert AiidIncident.objects.get(incident_id=5).provenance == expected != {}


def test_a_coarse_field_listed_first_does_not_hide_the_others(crosswalk):
    observed = {"mit_entity": ["AI"], **mit(MIT7, "7.3. Lack of capability or robustness")}
    assert crosswalk.map(observed)[0] == {"ai_pathway": ["performance_failure"]}


def test_record_type_and_its_provenance_only_when_single(crosswalk):
    event = "AI tangible harm event"
    columns, _ = map_incident(crosswalk, [cset_row({}, {"cset_v1_ai_harm_level": [event]})])
    assert columns["record_type"] == "incident"
    assert columns["provenance"] == {"record_type": {"incident": [["cset_v1_ai_harm_level", event]]}}
    both = cset_row({}, {"cset_v1_ai_harm_level": [event, "AI tangible harm issue"]})
    columns, _ = map_incident(crosswalk, [both])
    assert columns["record_type"] == "" and columns["provenance"] == {}


# -- rules the shipped crosswalks do not exercise, on an edited copy of taxonomy.yaml ----------------------------


@pytest.fixture
def edited() -> Crosswalk:
    """The shipped taxonomy with: only `design` mapped among the lifecycle phases (so MIT timing
    "Pre-deployment" singles it out), physical_harm not mapped (lives lost then only give the severity), and
    discrimination_bias listing its CSETv1 field before its MIT fields."""
    data = yaml.safe_load(Path(settings.CAIM_TAXONOMY_FILE).read_text(encoding="utf-8"))
    vocabularies = {v["slug"]: v for v in data["vocabularies"]}
    for value in vocabularies["lifecycle_phase"]["values"]:
        if value["slug"] != "design":
            value["crosswalk"]["aiid"] = "none"
    for value in vocabularies["harm_type"]["values"]:
        if value["slug"] == "physical_harm":
            value["crosswalk"]["aiid"] = "none"
        if value["slug"] == "discrimination_bias":
            mapping = value["crosswalk"]["aiid"]
            value["crosswalk"]["aiid"] = dict(
                sorted(mapping.items(), key=lambda item: not item[0].startswith("cset"))
            )
    return Crosswalk.from_taxonomy(parse_taxonomy(data, Path("edited.yaml")))


def test_a_coarse_value_maps_when_it_singles_out_one_value(edited):
    result = edited.explain({"mit_timing": ["Pre-deployment"]})
    assert result.mapped == {"lifecycle_phase": ["design"]} and result.unmapped == {}
    assert result.provenance == {"lifecycle_phase": {"design": [["mit_timing", "Pre-deployment"]]}}
    for observed in (
        {"mit_timing": ["Post-deployment"]},
        {"mit_timing": ["Other"]},
        {"mit_entity": ["Human"]},
    ):
        assert edited.explain(observed).mapped == {}, observed


def test_a_contradiction_is_found_whatever_the_order_of_the_fields(edited):
    assert list(edited.targets[("harm_type", "discrimination_bias")])[0].startswith("cset")
    assert edited.map(mit(MIT1, "1.2. Exposure to toxic content"))[0] == {}
    assert edited.map(mit(MIT1, "1.3. Unequal performance across groups"))[0] == {
        "harm_type": ["discrimination_bias"]
    }


def test_the_rows_that_contributed(edited):
    lost = cset_row({"Lives Lost": "3"}, {"cset_v1_lives_lost": ["3"]})  # severity only: no harm type here
    sector_row = cset_row({}, {"cset_v1_sector_of_deployment": ["defense"]})
    unmapped_only = cset_row({}, {"cset_v1_involving_minor": ["no"]})
    mit_row = ClassificationRow("classifications_MIT.csv", 2, 1, "MIT", True, {"Lives Lost": "3"}, {})
    for row, contributes in ((lost, True), (sector_row, True), (unmapped_only, False), (mit_row, False)):
        columns, contributing = map_incident(edited, [row])
        assert contributing == ({id(row)} if contributes else set()), row.parsed
    columns, _ = map_incident(edited, [lost])
    assert (columns["severity"], columns["harm_types"]) == ("critical", [])

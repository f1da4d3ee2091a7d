"""The AIID and OECD exports' small rules, each pinned (written to kill the mutants that survived the other tests;
docs/quality.md lists the ones left and why)."""

from __future__ import annotations

from caim.interop.exports.aiid import aiid_incident_id, aiid_submission, editor_notes, source_domain
from tests.interop.test_export_fidelity import doc


def submission(d: dict, **kwargs) -> dict:
    return aiid_submission(d, record_url="https://m.example/r/", site_name="M", **kwargs)


def source(**fields) -> dict:
    return {
        "number": 1,
        "url": "https://a.example/1",
        "title": "A",
        "publisher": "P",
        "date_published": None,
    } | fields


def test_date_published_falls_back_from_the_source_to_reported_to_occurred():
    d = doc() | {"reported": "2024-03-04", "occurred": "2024-01-02"}
    d["sources"] = [source(date_published="2024-05-06")]
    assert submission(d)["date_published"] == "2024-05-06"
    d["sources"] = [source()]
    assert submission(d)["date_published"] == "2024-03-04"
    d["reported"] = None
    assert submission(d)["date_published"] == "2024-01-02"
    d["sources"] = []
    assert submission(d)["date_published"] == "2024-01-02"
    assert submission(d | {"reported": "2024-03-04"})["date_published"] == "2024-03-04"


def test_aiid_incident_id_reads_only_aiid_links_with_a_number():
    assert aiid_incident_id({}) == 0
    assert aiid_incident_id({"same_as": [{"db": "oecd", "id": "12"}]}) == 0
    assert aiid_incident_id({"same_as": [{"db": "aiid", "id": "x12"}, {"db": "aiid", "id": "639"}]}) == 639
    assert aiid_incident_id({"same_as": [{"db": "aiid"}, {"db": "aiid", "id": 7}]}) == 7


def test_the_default_language_is_english():
    assert aiid_submission(doc(), record_url="https://m.example/r/", site_name="M")["language"] == "en"


def test_source_domain_drops_www_and_m():
    assert source_domain("https://www.a.example/x") == "a.example"
    assert source_domain("https://m.a.example/x") == "a.example"
    assert source_domain("https://M.a.example/x") == "a.example"  # host names are lower case
    assert source_domain("https://mail.example/x") == "mail.example"
    assert source_domain("not a url") == ""


def test_editor_notes_in_both_languages():
    d = doc() | {"id": 12, "version": 3}
    first = source(publisher="Pub", title="Tit")
    assert editor_notes(d, "https://m/r/", first, "en", "M") == (
        "M, record 12, version 3: https://m/r/. Linked report: Pub, “Tit”."
    )
    assert editor_notes(d, "https://m/r/", None, "en", "M") == "M, record 12, version 3: https://m/r/."
    assert editor_notes(d, "https://m/r/", first, "fr", "Moniteur") == (
        "Moniteur, fiche 12, version 3 : https://m/r/. Rapport lié : Pub, « Tit »."
    )
    assert (
        editor_notes(d, "https://m/r/", None, "fr", "Moniteur")
        == "Moniteur, fiche 12, version 3 : https://m/r/."
    )
    out = submission(d | {"sources": [first]}, lang="fr")
    assert out["editor_notes"] == "M, fiche 12, version 3 : https://m.example/r/. Rapport lié : Pub, « Tit »."


def test_crosswalk_notes_label_values_in_the_exports_language():
    from caim.interop.exports.oecd import oecd_export
    from caim.taxonomy.loader import get_taxonomy

    out = oecd_export(doc(domains=["research_science"]), record_url="https://m/r/", lang="fr", site_name="M")
    assert out["crosswalk_notes"] == [
        {
            "vocabulary": "domain",
            "value": "research_science",
            "label": get_taxonomy().label("domain", "research_science", "fr"),
            "field": "industries",
        }
    ]
    assert out["crosswalk_notes"][0]["label"] != get_taxonomy().label("domain", "research_science", "en")


def test_text_falls_back_to_the_summary_and_tags_follow_the_language():
    from caim.taxonomy.loader import get_taxonomy

    d = doc(domains=["health"], harm_types=["physical_harm"]) | {"narrative_en": "", "narrative_fr": ""}
    out = submission(d, lang="fr")
    assert out["text"] == "Résumé." and out["date_downloaded"] is None
    assert out["tags"] == [
        get_taxonomy().label("domain", "health", "fr"),
        get_taxonomy().label("harm_type", "physical_harm", "fr"),
    ]
    assert out["tags"] != submission(d)["tags"]
    assert submission(d | {"published_at": "2025-02-03T04:05:06+00:00"})["date_downloaded"] == "2025-02-03"


def test_oecd_harms_dates_format_and_system_industries():
    from caim.interop.exports.oecd import oecd_export

    d = doc() | {"occurred_precision": "month", "occurred_end": "2024-03-01", "occurred_end_precision": "year",
                 "reported": "2024-04-05"}  # fmt: skip
    d["harms"] = [
        {
            "description_en": "",
            "description_fr": "Blessé.",
            "harm_types": ["physical_harm"],
            "severity": "severe",
            "reach": "group",
        },  # fmt: skip
        {"description_en": "Lost.", "description_fr": "", "harm_types": [], "severity": None, "reach": None},
    ]
    d["systems"] = [{"name": "Car", "system_type": "autonomous_vehicle", "developer": None}]
    out = oecd_export(d, record_url="https://m/r/")
    assert out["export_format"] == "caim-oecd/2"
    assert out["harms"] == [
        {
            "description": "Blessé.",
            "harm_types": ["Physical"],
            "severity": ["Serious AI incident"],
            "reach": "group",
        },
        {"description": "Lost.", "harm_types": [], "severity": [], "reach": None},
    ]
    assert out["industries"] == ["Mobility and autonomous vehicles"]  # from the AI system's type alone
    assert out["dates"] == {
        "occurred": {"date": "2024-01-02", "precision": "month"},
        "occurred_end": {"date": "2024-03-01", "precision": "year"},
        "reported": {"date": "2024-04-05", "precision": "day"},
    }
    hazard = doc("hazard") | {
        "identified": "2023-05-01",
        "identified_precision": "year",
        "last_assessed": "2024-06-07",
    }
    assert oecd_export(hazard, record_url="https://m/r/")["dates"] == {
        "identified": {"date": "2023-05-01", "precision": "year"},
        "last_assessed": {"date": "2024-06-07", "precision": "day"},
    }
    assert oecd_export(doc() | {"occurred_precision": None}, record_url="https://m/r/")["dates"][
        "occurred"
    ] == {
        "date": "2024-01-02",
        "precision": "day",
    }
    assert oecd_export(doc(), record_url="https://m/r/")["language"] == "en"  # the default language

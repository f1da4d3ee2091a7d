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

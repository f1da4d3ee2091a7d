"""Both languages are part of every feature: the French catalogue is complete."""

from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[2] / "src/caim/site/locale/fr/LC_MESSAGES/django.po"


def test_french_catalogue_is_complete():
    catalog = read_po(PO.open("rb"), locale="fr")
    untranslated = [
        m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.id, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    assert len(catalog) > 100


def test_about_page_in_both_languages(client, db):
    en = client.get("/about/").content.decode()
    fr = client.get("/fr/about/").content.decode()
    assert "About the monitor" in en and 'id="feedback"' in en
    assert "propos du moniteur" in fr and 'id="feedback"' in fr

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


def test_every_string_of_the_code_is_translated(tmp_path):
    """Extract the messages of a copy of the package, as `make messages` does: none may lack French."""
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    if not shutil.which("xgettext"):
        pytest.skip("xgettext (Debian's gettext package) is needed to extract messages")
    package = Path(__file__).resolve().parents[2] / "src/caim"
    copy = tmp_path / "caim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "caim.settings",
           "CAIM_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "fr", "--no-obsolete", "--no-wrap"],
        cwd=copy, env=env, check=True, capture_output=True,
    )  # fmt: skip
    catalog = read_po((copy / "site/locale/fr/LC_MESSAGES/django.po").open("rb"), locale="fr")
    untranslated = [
        m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.id, tuple) else m.string)
    ]
    assert untranslated == [], "run `make messages` and translate these"

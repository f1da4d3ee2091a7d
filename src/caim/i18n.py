"""The page language, for code that picks between the `_en` and `_fr` fields of records."""

from django.utils.translation import get_language


def page_language() -> str:
    """ "fr" on French pages, "en" everywhere else."""
    return "fr" if (get_language() or "en").startswith("fr") else "en"

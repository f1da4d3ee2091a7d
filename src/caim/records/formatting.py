"""Dates with their precision, in the page's language (SPEC §1.2):
"July 16, 2025", "March 2025 (month)", "2023 (year)", "October 1, 2019 (approximate)",
"February 2024 to December 31, 2025"; in French "16 juillet 2025", "mars 2025 (mois)", ...
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from django.utils import timezone

PRECISION_NOTE = {
    "en": {"month": "month", "year": "year", "approximate": "approximate"},
    "fr": {"month": "mois", "year": "année", "approximate": "approximatif"},
}


def as_date(value: date | datetime | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def format_day(value: date | str | None, lang: str) -> str:
    d = as_date(value)
    if d is None:
        return ""
    text = format_date(d, format="long", locale="fr_CA" if lang == "fr" else "en_CA")
    if lang == "fr" and d.day == 1:
        text = text.replace("1 ", "1er ", 1)  # French writes the first of the month as an ordinal
    return text


def format_bare(value: date | str | None, precision: str, lang: str) -> str:
    """The date at its precision, without the precision note."""
    d = as_date(value)
    if d is None:
        return ""
    locale = "fr_CA" if lang == "fr" else "en_CA"
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return format_date(d, format="LLLL y", locale=locale)
    return format_day(d, lang)


def format_precise(value: date | str | None, precision: str | None, lang: str) -> str:
    """One date with its precision note: "March 2025 (month)"."""
    precision = precision or "day"
    text = format_bare(value, precision, lang)
    if text and precision != "day":
        text = f"{text} ({PRECISION_NOTE['fr' if lang == 'fr' else 'en'][precision]})"
    return text


def format_period(start, start_precision, end, end_precision, lang: str) -> str:
    """A single date, or a period "February 2024 to December 31, 2025" (notes dropped in a range)."""
    if not as_date(end):
        return format_precise(start, start_precision, lang)
    first = format_bare(start, start_precision or "day", lang)
    last = format_bare(end, end_precision or "day", lang)
    if lang == "fr":
        # "du 3 mars 2024 au 5 avril 2025", "de février 2024 à décembre 2025", "de 2019 au 31 mai 2020"
        opening = "du" if (start_precision or "day") in ("day", "approximate") else "de"
        joining = "au" if (end_precision or "day") in ("day", "approximate") else "à"
        return f"{opening} {first} {joining} {last}"
    return f"{first} to {last}"

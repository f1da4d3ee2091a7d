"""Dates with their precision, in the page's language (SPEC §1.2):
"July 16, 2025", "March 2025 (month)", "2023 (year)", "October 1, 2019 (approximate)",
"February 2024 to December 31, 2025"; in French "16 juillet 2025", "mars 2025 (mois)", ...
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

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


@lru_cache(maxsize=65536)
def _format_date(d: date, pattern: str, locale: str) -> str:
    """Babel's date formatting, remembered: it takes about 0.1 ms, and the linked-record rows of the static
    export's entity pages ask for the same dates tens of thousands of times."""
    return format_date(d, format=pattern, locale=locale)


def format_day(value: date | str | None, lang: str) -> str:
    d = as_date(value)
    if d is None:
        return ""
    text = _format_date(d, "long", "fr_CA" if lang == "fr" else "en_CA")
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
        return _format_date(d, "LLLL y", locale)
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


def iso_at(value: date | str | None, precision: str | None) -> str:
    """The date as HTML's <time datetime> writes it at its precision: "2023", "2025-03", "2025-07-16"."""
    d = as_date(value)
    if d is None:
        return ""
    if precision == "year":
        return f"{d.year:04d}"
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return d.isoformat()


def time_html(
    value: date | str | None, precision: str | None, lang: str, *, note: bool = False
) -> SafeString:
    """<time datetime="2025-03">March 2025</time>: the date at its precision (`note`: with the precision
    note, as "October 1, 2019 (approximate)")."""
    precision = precision or "day"
    text = format_precise(value, precision, lang) if note else format_bare(value, precision, lang)
    return (
        format_html('<time datetime="{}">{}</time>', iso_at(value, precision), text)
        if text
        else SafeString("")
    )


def period_html(start, start_precision, end, end_precision, lang: str) -> SafeString:
    """An event date for a line of a list: year, month and year, or day (an approximate day says so), or a
    period, each date in its own <time> element; the words are those of `format_period`."""
    start_precision, end_precision = start_precision or "day", end_precision or "day"
    if not as_date(end):
        return time_html(start, start_precision, lang, note=start_precision == "approximate")
    first, last = time_html(start, start_precision, lang), time_html(end, end_precision, lang)
    if lang == "fr":
        opening = "du" if start_precision in ("day", "approximate") else "de"
        joining = "au" if end_precision in ("day", "approximate") else "à"
        return format_html("{} {} {} {}", opening, first, joining, last)
    return format_html("{} to {}", first, last)

"""Dates at their precision, in each language (SPEC §1.2 examples)."""

import pytest

from caim.records.formatting import format_period, format_precise


@pytest.mark.parametrize(
    ("value", "precision", "en", "fr"),
    [
        ("2025-07-16", "day", "July 16, 2025", "16 juillet 2025"),
        ("2025-03-01", "month", "March 2025 (month)", "mars 2025 (mois)"),
        ("2023-01-01", "year", "2023 (year)", "2023 (année)"),
        ("2019-10-01", "approximate", "October 1, 2019 (approximate)", "1er octobre 2019 (approximatif)"),
    ],
)
def test_single_dates(value, precision, en, fr):
    assert format_precise(value, precision, "en") == en
    assert format_precise(value, precision, "fr") == fr


def test_periods():
    assert (
        format_period("2024-02-01", "month", "2025-12-31", "day", "en")
        == "February 2024 to December 31, 2025"
    )
    assert (
        format_period("2024-02-01", "month", "2025-12-31", "day", "fr")
        == "de février 2024 au 31 décembre 2025"
    )
    assert format_period("2019-01-01", "year", "2020-01-01", "year", "fr") == "de 2019 à 2020"
    assert format_period("2024-03-03", "day", None, None, "en") == "March 3, 2024"


def test_empty():
    assert format_precise(None, "day", "en") == ""

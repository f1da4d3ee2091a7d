"""Numbers read from addresses and query strings (record ids, page numbers, years, offsets)."""

from __future__ import annotations

import pytest

from caim.params import MAX_ID, is_number, parse_int


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("42", 42),
        (" 42\n", 42),  # a query string's stray spaces
        ("0", 0),  # the lowest number by default
        ("007", 7),
        (str(MAX_ID), MAX_ID),  # the largest id either database stores
    ],
)
def test_a_number(raw, value):
    assert parse_int(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        None,  # no such parameter
        "",
        "   ",
        "4a",
        "a4",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "²",  # a digit to str.isdigit(), refused by int()
        "١٢",  # Arabic-Indic digits: int() reads them as 12
        str(MAX_ID + 1),  # would overflow the database's integers
        "9" * 30,
    ],
)
def test_not_a_number(raw):
    assert parse_int(raw) is None


def test_the_range_includes_its_limits():
    assert [parse_int(raw, low=1, high=10) for raw in ("0", "1", "10", "11")] == [None, 1, 10, None]
    assert parse_int("2026", low=1800, high=2100) == 2026
    assert parse_int("1799", low=1800, high=2100) is None


def test_more_digits_than_the_limit_has_is_refused():
    """Leading zeros do not make a long number acceptable: its length is checked before it is converted."""
    assert parse_int("0010", high=99) is None
    assert parse_int("10", high=99) == 10


@pytest.mark.parametrize(("raw", "expected"), [("12", True), ("0", True), ("", False), ("a-slug", False)])
def test_a_url_part_names_a_record_by_number_or_by_slug(raw, expected):
    assert is_number(raw) is expected


@pytest.mark.parametrize("raw", ["²", "١٢", "12a", "-12", " 12"])
def test_only_ascii_digits_name_a_record_by_number(raw):
    assert is_number(raw) is False

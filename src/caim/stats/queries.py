"""Statistics of the public records (SPEC §4, statistics page), as plain data in the page language.

Only the public layer is read: listed PublicRecord rows (queries.listed) and their PublicTag rows; the working copy
(drafts) never is. Each function issues one GROUP BY query, whatever the number of records.

A `Table` holds rows (key, label, values): `key` is the stable value (a vocabulary slug, a year, "" for records
without a value), `label` its name in the page language, `values` one number per column. The CSV download
writes the keys and the column names, which are the same in both languages; the page shows the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import override

from caim.records.models import PublicRecord, PublicTag
from caim.records.queries import listed
from caim.taxonomy.loader import get_taxonomy

NO_VALUE = ""  # key of the row that counts records without a value (shown only when there are some)
RECORD_TYPES = ("incident", "hazard")

Number = int | float
Row = tuple[str, str, tuple[Number, ...]]


@dataclass(frozen=True)
class Column:
    name: str  # CSV header: stable, the same in both languages
    label: str  # table header, in the page language
    percent: bool = False


@dataclass(frozen=True)
class Table:
    key_name: str  # CSV header of the key column
    key_label: str  # table header of the label column, in the page language
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def column(self, name: str) -> dict[str, Number]:
        """key -> value of one column."""
        index = [c.name for c in self.columns].index(name)
        return {key: values[index] for key, _label, values in self.rows}


@dataclass(frozen=True)
class Matrix:
    """Counts for each pair of values of two vocabularies: cells[i][j] for row value i and column value j."""

    row_name: str
    row_label: str
    column_name: str
    column_label: str
    rows: tuple[tuple[str, str], ...]  # (key, label)
    columns: tuple[tuple[str, str], ...]
    cells: tuple[tuple[int, ...], ...]

    def pairs(self) -> list[tuple[str, str, str, str, int]]:
        """One row per pair: (row key, row label, column key, column label, count), in table order."""
        return [
            (rkey, rlabel, ckey, clabel, self.cells[i][j])
            for i, (rkey, rlabel) in enumerate(self.rows)
            for j, (ckey, clabel) in enumerate(self.columns)
        ]


def public_records() -> QuerySet:
    return PublicRecord.objects.listed()


def _type_columns() -> tuple[Column, ...]:
    return (
        Column("incidents", _("Incidents")),
        Column("hazards", _("Hazards")),
        Column("total", _("Total")),
    )


def _split_rows(
    values: list[tuple[str, str]], counts: dict[tuple[str, str], int], *, unset_label: str | None = None
) -> tuple[Row, ...]:
    """Rows (key, label, (incidents, hazards, total)) for `values`, plus a row for records without a value."""

    def row(key: str, label: str) -> Row:
        incidents, hazards = counts.get((key, "incident"), 0), counts.get((key, "hazard"), 0)
        return (key, label, (incidents, hazards, incidents + hazards))

    rows = [row(key, label) for key, label in values]
    if unset_label is not None and any(counts.get((NO_VALUE, t)) for t in RECORD_TYPES):
        rows.append(row(NO_VALUE, unset_label))
    return tuple(rows)


def _vocabulary_values(vocabulary: str, lang: str) -> list[tuple[str, str]]:
    """(slug, label) in the vocabulary's order; ordinal scales from the highest value down."""
    vocab = get_taxonomy()[vocabulary]
    values = list(vocab.values)
    if vocab.ordinal:
        values.sort(key=lambda v: -(v.order or 0))
    return [(v.slug, v.label_in(lang)) for v in values]


def _by_count(rows: tuple[Row, ...]) -> tuple[Row, ...]:
    """Nominal values: most frequent first, ties in vocabulary order (the sort is stable)."""
    return tuple(sorted(rows, key=lambda row: -row[2][-1]))


def _tag_table(vocabulary: str, lang: str) -> Table:
    counts = dict(
        ((slug, record_type), n)
        for slug, record_type, n in PublicTag.objects.listed()
        .filter(vocabulary=vocabulary)
        .values_list("slug", "record__record_type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Table(
        key_name=vocabulary,
        key_label=get_taxonomy()[vocabulary].label_in(lang),
        columns=_type_columns(),
        rows=_by_count(_split_rows(_vocabulary_values(vocabulary, lang), counts)),
    )


def records_by_domain(lang: str) -> Table:
    """Public records carrying each domain (a record may carry several), split by record type."""
    with override(lang):
        return _tag_table("domain", lang)


def records_by_harm_type(lang: str) -> Table:
    """Public records carrying each harm type (a record may carry several), split by record type."""
    with override(lang):
        return _tag_table("harm_type", lang)


def records_by_severity(lang: str) -> Table:
    """Public records by severity, most severe first, split by record type."""
    with override(lang):
        counts = dict(
            ((severity, record_type), n)
            for severity, record_type, n in public_records()
            .values_list("severity", "record_type")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return Table(
            key_name="severity",
            key_label=get_taxonomy()["severity"].label_in(lang),
            columns=_type_columns(),
            rows=_split_rows(_vocabulary_values("severity", lang), counts, unset_label=_("Not assessed")),
        )


def records_by_year(lang: str) -> Table:
    """Public records by the year of their event date (incident occurred, hazard identified), every year
    from the first to the last, split by record type."""
    with override(lang):
        counts: dict[tuple[str, str], int] = {}
        for year, record_type, n in (
            public_records().values_list("event_date__year", "record_type").annotate(n=Count("pk")).order_by()
        ):
            counts[(NO_VALUE if year is None else str(year), record_type)] = n
        years = sorted({int(key) for key, _type in counts if key != NO_VALUE})
        span = [(str(y), str(y)) for y in range(years[0], years[-1] + 1)] if years else []
        return Table(
            key_name="year",
            key_label=_("Year"),
            columns=_type_columns(),
            rows=_split_rows(span, counts, unset_label=_("No date")),
        )


def incidents_by_verification(lang: str) -> Table:
    """Public incidents by verification level, from confirmed down to refuted."""
    with override(lang):
        counts = dict(
            public_records()
            .filter(record_type="incident")
            .values_list("verification")
            .annotate(n=Count("pk"))
            .order_by()
        )
        rows = [
            (slug, label, (counts.get(slug, 0),)) for slug, label in _vocabulary_values("verification", lang)
        ]
        if counts.get(NO_VALUE):
            rows.append((NO_VALUE, _("Not assessed"), (counts[NO_VALUE],)))
        return Table(
            key_name="verification",
            key_label=get_taxonomy()["verification"].label_in(lang),
            columns=(Column("incidents", _("Incidents")),),
            rows=tuple(rows),
        )


def share(part: int, whole: int) -> float:
    """Percentage with one decimal (0.0 when there is nothing to divide)."""
    return round(100 * part / whole, 1) if whole else 0.0


def response_coverage(lang: str) -> Table:
    """Share of public records with at least one documented response: per record type, then overall."""
    with override(lang):
        counts = {
            record_type: (answered, total)
            for record_type, answered, total in public_records()
            .values_list("record_type")
            .annotate(answered=Count("pk", filter=Q(response_count__gt=0)), total=Count("pk"))
            .order_by()
        }
        labels = {"incident": _("Incidents"), "hazard": _("Hazards")}
        rows = []
        for record_type in RECORD_TYPES:
            answered, total = counts.get(record_type, (0, 0))
            rows.append((record_type, labels[record_type], (answered, total, share(answered, total))))
        answered = sum(a for a, _t in counts.values())
        total = sum(t for _a, t in counts.values())
        rows.append(("all", _("All records"), (answered, total, share(answered, total))))
        return Table(
            key_name="record_type",
            key_label=get_taxonomy()["record_type"].label_in(lang),
            columns=(
                Column("with_response", _("With a documented response")),
                Column("records", _("Records")),
                Column("share_percent", _("Share"), percent=True),
            ),
            rows=tuple(rows),
        )


def hazards_by_status(lang: str) -> Table:
    """Public hazards by hazard status, in vocabulary order."""
    with override(lang):
        counts = dict(
            public_records()
            .filter(record_type="hazard")
            .values_list("hazard_status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        rows = [
            (slug, label, (counts.get(slug, 0),)) for slug, label in _vocabulary_values("hazard_status", lang)
        ]
        if counts.get(NO_VALUE):
            rows.append((NO_VALUE, _("Not assessed"), (counts[NO_VALUE],)))
        return Table(
            key_name="hazard_status",
            key_label=get_taxonomy()["hazard_status"].label_in(lang),
            columns=(Column("hazards", _("Hazards")),),
            rows=tuple(rows),
        )


WATCH_COLUMNS = ("slug", "title_en", "title_fr", "severity", "severity_rank", "hazard_status", "confidence",
                 "verification", "contested", "published_at", *PublicRecord.META_COLUMNS)  # fmt: skip


def hazard_watch() -> list[PublicRecord]:
    """Public hazards that are escalating or critical, most severe first (the home page's hazard watch, whole)."""
    return list(PublicRecord.objects.on_watch().only(*WATCH_COLUMNS))


def harm_pathway_cooccurrence(lang: str) -> Matrix:
    """For each harm type and AI pathway, the number of public records carrying both."""
    return cooccurrence("harm_type", "ai_pathway", lang)


def cooccurrence(row_vocabulary: str, column_vocabulary: str, lang: str) -> Matrix:
    """For each value of two taxonomy vocabularies, the number of listed records carrying both."""
    with override(lang):
        # One self-join of the tags: a tag of each vocabulary on the same public record.
        pairs = (
            PublicTag.objects.filter(
                listed("record__"), vocabulary=row_vocabulary, record__tags__vocabulary=column_vocabulary
            )
            .values_list("slug", "record__tags__slug")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {(row, column): n for row, column, n in pairs}
        tax = get_taxonomy()
        rows = tuple(_vocabulary_values(row_vocabulary, lang))
        columns = tuple(_vocabulary_values(column_vocabulary, lang))
        return Matrix(
            row_name=row_vocabulary,
            row_label=tax[row_vocabulary].label_in(lang),
            column_name=column_vocabulary,
            column_label=tax[column_vocabulary].label_in(lang),
            rows=rows,
            columns=columns,
            cells=tuple(tuple(counts.get((r, c), 0) for c, _cl in columns) for r, _rl in rows),
        )

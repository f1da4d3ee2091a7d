"""SQLite FTS5 over the pre-stemmed `stems` column: a separate FTS5 table (search_fts) keyed by SearchEntry id.

All SQL here is constant; user input only ever arrives as bound parameters.
"""

from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from caim.search.text import Query

MATCHING_SQL = (
    "SELECT e.obj_id FROM search_fts f JOIN search_searchentry e ON e.id = f.rowid "
    "WHERE search_fts MATCH %s AND e.kind = %s"
)
# bm25() is only allowed in a plain full-text query: rank in a materialised CTE (never flattened into the
# grouping query), then keep each object's best row.
RANKED_SQL = (
    "WITH r AS MATERIALIZED (SELECT rowid, bm25(search_fts) AS score FROM search_fts WHERE search_fts MATCH %s) "
    "SELECT e.obj_id, MIN(r.score) AS best FROM r JOIN search_searchentry e ON e.id = r.rowid "
    "WHERE e.kind = %s GROUP BY e.obj_id ORDER BY best, e.obj_id LIMIT %s"
)


CHUNK = 900  # ids per statement, under SQLite's limit on bound parameters


def match_expression(query: Query) -> str:
    # Stems are [a-z0-9]+ only, so quoting them is enough to keep FTS5 syntax out of user input.
    return " AND ".join("(" + " OR ".join(f'"{stem}"' for stem in sorted(term)) + ")" for term in query.terms)


def _placeholders(values: list) -> str:
    return ",".join(["%s"] * len(values))


class SqliteFts5Backend:
    def add(self, entry_ids: list[int]) -> None:
        for start in range(0, len(entry_ids), CHUNK):
            self._add(entry_ids[start : start + CHUNK])

    def _add(self, entry_ids: list[int]) -> None:
        if entry_ids:
            with connection.cursor() as cursor:
                sql = f"INSERT INTO search_fts(rowid, stems) SELECT id, stems FROM search_searchentry WHERE id IN ({_placeholders(entry_ids)})"  # noqa: S608 - placeholders only
                cursor.execute(sql, entry_ids)

    def remove(self, entry_ids: list[int]) -> None:
        if entry_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM search_fts WHERE rowid IN ({_placeholders(entry_ids)})",  # noqa: S608 - placeholders only
                    entry_ids,
                )

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")
            cursor.execute("INSERT INTO search_fts(rowid, stems) SELECT id, stems FROM search_searchentry")

    def matching(self, query: Query, kind: str) -> RawSQL:
        return RawSQL(MATCHING_SQL, (match_expression(query), kind))  # noqa: S611 - constant SQL, bound values

    def ranked(self, query: Query, kind: str, limit: int) -> list[tuple[int, float]]:
        with connection.cursor() as cursor:
            cursor.execute(RANKED_SQL, [match_expression(query), kind, limit])
            return [(obj_id, -score) for obj_id, score in cursor.fetchall()]

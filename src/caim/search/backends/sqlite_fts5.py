"""SQLite FTS5 over the pre-stemmed `stems`: one FTS5 table per kind (search_fts_record, _entity, _system) whose
rowid is the object's id, so a match gives ids directly, ranked by bm25, with no join.

Table names come from a fixed set; user input only ever arrives as bound parameters.
"""

from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from caim.search.text import Query

TABLES = {"record": "search_fts_record", "entity": "search_fts_entity", "system": "search_fts_system"}
RANK_WINDOW = 2000  # matches scored at most (see ranked)
CHUNK = 900  # ids per statement, under SQLite's limit on bound parameters


def match_expression(query: Query) -> str:
    # Stems are [a-z0-9]+ only, so quoting them is enough to keep FTS5 syntax out of user input.
    return " AND ".join("(" + " OR ".join(f'"{stem}"' for stem in sorted(term)) + ")" for term in query.terms)


class SqliteFts5Backend:
    def add(self, kind: str, rows: list[tuple[int, str]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {TABLES[kind]}(rowid, stems) VALUES (%s, %s)", rows)  # noqa: S608

    def remove(self, kind: str, obj_ids: list[int]) -> None:
        with connection.cursor() as cursor:
            for start in range(0, len(obj_ids), CHUNK):
                chunk = obj_ids[start : start + CHUNK]
                placeholders = ",".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {TABLES[kind]} WHERE rowid IN ({placeholders})", chunk)  # noqa: S608

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            for kind, table in TABLES.items():
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
                cursor.execute(
                    f"INSERT INTO {table}(rowid, stems) SELECT obj_id, stems FROM search_searchentry WHERE kind = %s",  # noqa: S608
                    [kind],
                )

    def matching(self, query: Query, kind: str) -> RawSQL:
        sql = f"SELECT rowid FROM {TABLES[kind]} WHERE {TABLES[kind]} MATCH %s"  # noqa: S608
        return RawSQL(sql, (match_expression(query),))  # noqa: S611 - fixed table names, bound values

    def ranked(self, query: Query, kind: str, limit: int) -> list[tuple[int, float]]:
        table, match = TABLES[kind], match_expression(query)
        # Words found almost everywhere rank nothing apart, and scoring every match is what costs: past
        # RANK_WINDOW matches, only the newest RANK_WINDOW are scored (the subquery finds where they start).
        sql = (
            f"SELECT rowid, rank FROM {table} WHERE {table} MATCH %s AND rowid > COALESCE("  # noqa: S608
            f"(SELECT rowid FROM {table} WHERE {table} MATCH %s ORDER BY rowid DESC LIMIT 1 OFFSET %s), 0) "
            "ORDER BY rank LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [match, match, RANK_WINDOW, limit])
            return [(obj_id, -score) for obj_id, score in cursor.fetchall()]

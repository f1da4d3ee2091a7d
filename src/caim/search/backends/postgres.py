"""PostgreSQL full text: a narrow table search_vector (kind, obj_id, tsv) with a GIN index, over stems made in
Python (the 'simple' configuration only splits them), so both backends find exactly the same objects.

The table is narrow on purpose: ranking the newest matches reads rows in id order and tests each vector, and
the width of the row is what that costs (see bench/RESULTS.md).
"""

from __future__ import annotations

import json
import time

from django.db import connection
from django.db.models.expressions import RawSQL

from caim.search.text import Query

RANK_WINDOW = 2000  # matches scored at most


def tsquery(query: Query) -> str:
    # Stems are [a-z0-9]+ only: safe inside to_tsquery syntax.
    return " & ".join("(" + " | ".join(sorted(term)) + ")" for term in query.terms)


class PostgresBackend:
    def add(self, kind: str, rows: list[tuple[int, str]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_vector (kind, obj_id, tsv) VALUES (%s, %s, to_tsvector('simple', %s)) "
                "ON CONFLICT (kind, obj_id) DO UPDATE SET tsv = EXCLUDED.tsv",
                [(kind, obj_id, stems) for obj_id, stems in rows],
            )

    def remove(self, kind: str, obj_ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM search_vector WHERE kind = %s AND obj_id = ANY(%s)", [kind, list(obj_ids)]
            )

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_vector")
            cursor.execute(
                "INSERT INTO search_vector (kind, obj_id, tsv) "
                "SELECT kind, obj_id, to_tsvector('simple', stems) FROM search_searchentry"
            )

    def matching(self, query: Query, kind: str) -> RawSQL:
        return RawSQL(
            "SELECT obj_id FROM search_vector WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s",
            (tsquery(query), kind),
        )

    def ranked(self, query: Query, kind: str, limit: int) -> list[tuple[int, float]]:
        """The best of the newest RANK_WINDOW matches, read by whichever of two plans is cheaper for the word.

        A common word is best read by walking ids backwards and testing each vector until RANK_WINDOW match;
        a rarer one by fetching every match from the GIN index. The walk reads about RANK_WINDOW * N / m rows
        and the fetch m rows, a fetched row costing about FETCH_COST walked ones (measured at 100,000 records:
        3 to 6), so the fetch wins while FETCH_COST * m * m < RANK_WINDOW * N (about 8,300 matches at 100,000
        rows). PostgreSQL's own estimate of m decides.
        """
        ts = tsquery(query)
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_vector WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s",
                [ts, kind],
            )
            estimate = _plan_rows(cursor.fetchone()[0])
            fetch_all = FETCH_COST * estimate * estimate < RANK_WINDOW * _table_rows()
            cursor.execute(FETCH_SQL if fetch_all else WALK_SQL, [ts, kind, RANK_WINDOW, ts, limit])
            return list(cursor.fetchall())


FETCH_COST = 3  # estimates run high for rarer words, so err toward fetching
# Every match from the GIN index (materialised, so the planner cannot turn it into the walk), newest first.
FETCH_SQL = (
    "WITH matches AS MATERIALIZED (SELECT obj_id, tsv FROM search_vector "
    "WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s), "
    "newest AS (SELECT obj_id, tsv FROM matches ORDER BY obj_id DESC LIMIT %s) "
    "SELECT obj_id, ts_rank(tsv, to_tsquery('simple', %s)) AS score FROM newest ORDER BY score DESC, obj_id LIMIT %s"
)
# Ids backwards, testing each vector, until the window is full.
WALK_SQL = (
    "WITH newest AS (SELECT obj_id, tsv FROM search_vector "
    "WHERE tsv @@ to_tsquery('simple', %s) AND kind = %s ORDER BY obj_id DESC LIMIT %s) "
    "SELECT obj_id, ts_rank(tsv, to_tsquery('simple', %s)) AS score FROM newest ORDER BY score DESC, obj_id LIMIT %s"
)


def _plan_rows(plan) -> float:
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


_size: tuple[float, float] = (0.0, 0.0)  # (rows, when read)


def _table_rows() -> float:
    """The table's row count as PostgreSQL estimates it, read at most once a minute per process."""
    global _size
    if time.monotonic() - _size[1] > 60:
        with connection.cursor() as cursor:
            cursor.execute("SELECT GREATEST(reltuples, 1) FROM pg_class WHERE relname = 'search_vector'")
            row = cursor.fetchone()
        _size = (float(row[0]) if row else 1.0, time.monotonic())
    return _size[0]

"""Full-text backends behind one small protocol; settings (the database vendor) choose."""

from __future__ import annotations

from typing import Protocol

from django.db import connection
from django.db.models.expressions import RawSQL

from caim.search.text import Query


class SearchBackend(Protocol):
    def add(self, kind: str, rows: list[tuple[int, str]]) -> None:
        """Index (obj_id, stems) pairs of one kind (after their SearchEntry rows were written)."""

    def remove(self, kind: str, obj_ids: list[int]) -> None:
        """Drop objects of one kind from the full-text structure."""

    def rebuild(self) -> None:
        """Re-index every SearchEntry row."""

    def matching(self, query: Query, kind: str) -> RawSQL:
        """SQL selecting the `obj_id` of the objects of `kind` that match, for `pk__in=`."""

    def ranked(self, query: Query, kind: str, limit: int) -> list[tuple[int, float]]:
        """(obj_id, score) of the best matches of `kind`, best first."""


def get_backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        from caim.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from caim.search.backends.sqlite_fts5 import SqliteFts5Backend

    return SqliteFts5Backend()

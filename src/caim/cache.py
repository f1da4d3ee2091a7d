"""The default cache (Django's database cache, with an increment that holds across workers), and the build id
that keys what is cached per deployment.

Django's database cache increments by reading then writing, so two workers counting at the same moment can both
write n + 1. The sign-in limit counts attempts this way, so here the read and the write happen under a lock on
the row (PostgreSQL) or the database write lock (SQLite, whose transactions here start IMMEDIATE).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class CountingDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            if connection.vendor == "postgresql":
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)


@functools.cache
def build_id() -> str:
    """A short hash of this installation's code, templates, catalogues and static files (names, sizes, times).

    Every worker of one deployment computes the same value, and a deployment that changes any of them gets a
    new one, so a page rendered by the previous code is never served again or taken as fresh by an ETag.
    """
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(Path(__file__).resolve().parent.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".html", ".mo", ".css", ".js", ".md", ".yaml", ".svg"}:
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()

"""The search index: one row per public object and language.

`stems` holds the accent-folded, stemmed words of the title (twice, to weigh it) and of the body. Each backend
adds its own full-text structure over it (an FTS5 table on SQLite, a generated tsvector with a GIN index on
PostgreSQL), created by this app's migration.
"""

from django.db import models


class SearchEntry(models.Model):
    kind = models.CharField(max_length=10)  # record | entity | system
    obj_id = models.BigIntegerField()
    lang = models.CharField(max_length=2)
    title = models.TextField()
    body = models.TextField(blank=True)
    stems = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "obj_id", "lang"], name="searchentry_unique")]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.obj_id} ({self.lang})"

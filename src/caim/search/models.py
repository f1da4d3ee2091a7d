"""The search index: one row per public object (record, entity or AI system), both languages in one row.

`stems` holds the accent-folded Snowball stems of the English text (English stemmer) and of the French text
(French stemmer), the title counted twice to weigh it. Each backend adds its own full-text structure over it,
created by this app's migrations: on SQLite one FTS5 table per kind whose rowid is the object's id, on
PostgreSQL a narrow table search_vector (kind, obj_id, tsv) with a GIN index.
"""

from django.db import models


class SearchEntry(models.Model):
    kind = models.CharField(max_length=10)  # record | entity | system
    obj_id = models.BigIntegerField()
    title_en = models.TextField()
    title_fr = models.TextField()
    body_en = models.TextField(blank=True)
    body_fr = models.TextField(blank=True)
    stems = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "obj_id"], name="searchentry_kind_obj")]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.obj_id}"

    def body(self, lang: str) -> str:
        return (self.body_fr if lang == "fr" else self.body_en) or self.body_en or self.body_fr

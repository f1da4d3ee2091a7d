"""Backend-specific full-text structures over SearchEntry.stems (see caim.search.backends)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(stems, tokenize='unicode61')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS search_fts"]
POSTGRES = [
    "ALTER TABLE search_searchentry ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', stems)) STORED",
    "CREATE INDEX search_entry_tsv ON search_searchentry USING GIN (tsv)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS search_entry_tsv",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS tsv",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]

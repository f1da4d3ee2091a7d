"""One search row per object (both languages), and full-text structures keyed by object id.

The index is derived data: this migration empties it, and `caim migrate` rebuilds it (`caim reindex`).
"""

from django.db import migrations, models

KINDS = ("record", "entity", "system")
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts"]
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE search_fts_{kind} USING fts5(stems, tokenize='unicode61')" for kind in KINDS
]
SQLITE_DROP_NEW = [f"DROP TABLE IF EXISTS search_fts_{kind}" for kind in KINDS]
POSTGRES_CREATE = [
    "ALTER TABLE search_searchentry ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', stems)) STORED",
    "CREATE INDEX search_entry_tsv ON search_searchentry USING GIN (tsv)",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [
        migrations.RunPython(run({"sqlite": SQLITE_DROP}), migrations.RunPython.noop),
        migrations.DeleteModel(name="SearchEntry"),
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=10)),
                ("obj_id", models.BigIntegerField()),
                ("title_en", models.TextField()),
                ("title_fr", models.TextField()),
                ("body_en", models.TextField(blank=True)),
                ("body_fr", models.TextField(blank=True)),
                ("stems", models.TextField()),
            ],
            options={"verbose_name_plural": "search entries"},
        ),
        migrations.AddConstraint(
            model_name="searchentry",
            constraint=models.UniqueConstraint(fields=("kind", "obj_id"), name="searchentry_kind_obj"),
        ),
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}), run({"sqlite": SQLITE_DROP_NEW})
        ),
    ]

"""PostgreSQL: one GIN index per kind, so that matching entities or systems never reads record vectors."""

from django.db import migrations

KINDS = ("record", "entity", "system")
FORWARD = ["DROP INDEX IF EXISTS search_vector_tsv"] + [
    f"CREATE INDEX search_vector_{kind}_tsv ON search_vector USING GIN (tsv) WHERE kind = '{kind}'"
    for kind in KINDS
]
BACKWARD = [f"DROP INDEX IF EXISTS search_vector_{kind}_tsv" for kind in KINDS] + [
    "CREATE INDEX search_vector_tsv ON search_vector USING GIN (tsv)"
]


def on_postgres(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("search", "0004_postgres_vector_table")]

    operations = [migrations.RunPython(on_postgres(FORWARD), on_postgres(BACKWARD))]

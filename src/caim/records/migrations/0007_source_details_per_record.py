"""Bibliographic details of a source move from the shared URL row to each citing record's row, so that one
record's draft can never change what another, published record says about a URL."""

from django.db import migrations, models

DETAILS = (
    "source_type",
    "publisher",
    "title",
    "date_published",
    "date_precision",
    "language",
    "archived_url",
)


def copy_details(apps, schema_editor):
    RecordSource = apps.get_model("records", "RecordSource")
    rows = list(RecordSource.objects.select_related("source"))
    for row in rows:
        for name in DETAILS:
            setattr(row, name, getattr(row.source, name))
    RecordSource.objects.bulk_update(rows, DETAILS, batch_size=1000)


def copy_back(apps, schema_editor):
    RecordSource = apps.get_model("records", "RecordSource")
    Source = apps.get_model("records", "Source")
    for row in RecordSource.objects.order_by("-record_id"):  # the newest record's details win
        Source.objects.filter(pk=row.source_id).update(**{name: getattr(row, name) for name in DETAILS})


def precision():
    return models.CharField(
        choices=[("day", "Day"), ("month", "Month"), ("year", "Year"), ("approximate", "Approximate")],
        default="day",
        max_length=12,
    )


class Migration(migrations.Migration):
    dependencies = [("records", "0006_public_state")]

    operations = [
        migrations.AddField("recordsource", "source_type", models.CharField(default="", max_length=20)),
        migrations.AddField("recordsource", "publisher", models.CharField(default="", max_length=300)),
        migrations.AddField("recordsource", "title", models.CharField(default="", max_length=500)),
        migrations.AddField("recordsource", "date_published", models.DateField(blank=True, null=True)),
        migrations.AddField("recordsource", "date_precision", precision()),
        migrations.AddField("recordsource", "language", models.CharField(default="en", max_length=8)),
        migrations.AddField(
            "recordsource", "archived_url", models.URLField(blank=True, default="", max_length=2000)
        ),
        migrations.RunPython(copy_details, copy_back),
        migrations.AlterField("recordsource", "source_type", models.CharField(max_length=20)),
        migrations.AlterField("recordsource", "publisher", models.CharField(max_length=300)),
        migrations.AlterField("recordsource", "title", models.CharField(max_length=500)),
        migrations.AlterField("recordsource", "archived_url", models.URLField(blank=True, max_length=2000)),
        migrations.RemoveField("source", "source_type"),
        migrations.RemoveField("source", "publisher"),
        migrations.RemoveField("source", "title"),
        migrations.RemoveField("source", "date_published"),
        migrations.RemoveField("source", "date_precision"),
        migrations.RemoveField("source", "language"),
        migrations.RemoveField("source", "archived_url"),
    ]

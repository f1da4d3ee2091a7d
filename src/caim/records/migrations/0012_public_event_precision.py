"""The precision of a public record's event date and the end of its period, on its PublicRecord row, so that
every list shows the date at its precision without reading the version documents; filled from the documents."""

from django.db import migrations, models

BATCH = 500


def fill_from_documents(apps, schema_editor):
    """Copy each public record's event precision and end date from its current version document (the same
    rule as records.public.event_columns, repeated here because a migration must not import changing code)."""
    PublicRecord = apps.get_model("records", "PublicRecord")
    rows = PublicRecord.objects.select_related("version").only("pk", "version__document").order_by("pk")
    changed = []
    for public in rows.iterator(chunk_size=BATCH):
        doc = public.version.document
        if doc.get("type") == "incident":
            public.event_precision = doc.get("occurred_precision") or "day"
            public.event_end = doc.get("occurred_end") or None
            public.event_end_precision = doc.get("occurred_end_precision") or "day"
        else:
            public.event_precision = doc.get("identified_precision") or "day"
            public.event_end, public.event_end_precision = None, "day"
        changed.append(public)
        if len(changed) >= BATCH:
            PublicRecord.objects.bulk_update(changed, ["event_precision", "event_end", "event_end_precision"])
            changed = []
    PublicRecord.objects.bulk_update(changed, ["event_precision", "event_end", "event_end_precision"])


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0011_public_change_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="publicrecord",
            name="event_end",
            field=models.DateField(blank=True, help_text="occurred_end (incidents)", null=True),
        ),
        migrations.AddField(
            model_name="publicrecord",
            name="event_end_precision",
            field=models.CharField(
                choices=[
                    ("day", "Day"),
                    ("month", "Month"),
                    ("year", "Year"),
                    ("approximate", "Approximate"),
                ],
                default="day",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="publicrecord",
            name="event_precision",
            field=models.CharField(
                choices=[
                    ("day", "Day"),
                    ("month", "Month"),
                    ("year", "Year"),
                    ("approximate", "Approximate"),
                ],
                default="day",
                max_length=12,
            ),
        ),
        migrations.RunPython(fill_from_documents, migrations.RunPython.noop),
    ]

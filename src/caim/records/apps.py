from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "caim.records"
    label = "records"
    verbose_name = "Records"

from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "caim.stats"
    label = "stats"
    verbose_name = "Statistics"

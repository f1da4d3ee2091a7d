from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "caim.site"
    label = "site"
    verbose_name = "Public site"

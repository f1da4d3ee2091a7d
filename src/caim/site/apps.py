from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "caim.site"
    label = "site"
    verbose_name = "Public site"

    def ready(self):
        # The deployment checks of the whole monitor (`caim check --deploy`); the site is the app every
        # deployment serves, so it registers them.
        from caim import checks  # noqa: F401

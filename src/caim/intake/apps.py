from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "caim.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self):
        from caim.intake import receivers  # noqa: F401  (a lead's record published: the lead is published)

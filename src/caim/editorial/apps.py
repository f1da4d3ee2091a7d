from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "caim.editorial"
    label = "editorial"
    verbose_name = "Editorial area"

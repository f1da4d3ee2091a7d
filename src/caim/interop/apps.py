from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "caim.interop"
    label = "interop"
    verbose_name = "Interoperability"

from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "caim.taxonomy"
    label = "taxonomy"
    verbose_name = "Taxonomy"

    def ready(self):
        # Load and validate the vocabularies at start-up: a bad data file stops the process with a clear error
        # instead of failing on the first page that needs a label.
        from caim.taxonomy.loader import get_taxonomy

        get_taxonomy()

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "caim.search"
    label = "search"
    verbose_name = "Search"

    def ready(self):
        from caim.records.signals import entities_merged, public_record_changed, public_records_added
        from caim.search import indexer

        public_record_changed.connect(indexer.on_public_record_changed, dispatch_uid="caim.search.index")
        public_records_added.connect(indexer.on_public_records_added, dispatch_uid="caim.search.index_many")
        entities_merged.connect(indexer.on_entities_merged, dispatch_uid="caim.search.entities_merged")

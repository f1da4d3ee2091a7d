from django.conf.urls.i18n import i18n_patterns
from django.contrib.sitemaps import views as sitemap_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from caim.api import feeds as api_feeds
from caim.api import query as query_api
from caim.api import views as api_views
from caim.interop import views as interop_views
from caim.site import directory, downloads, sitemaps, taxonomy_views
from caim.site import feeds as site_feeds
from caim.site import views as site_views
from caim.stats import views as stats_views

INCIDENT_OECD = {"record_type": "incident", "fmt": "oecd"}
INCIDENT_AIID = {"record_type": "incident", "fmt": "aiid"}
HAZARD_OECD = {"record_type": "hazard", "fmt": "oecd"}
INCIDENT_CSV = {"record_type": "incident", "fmt": "csv"}
INCIDENT_JSON = {"record_type": "incident", "fmt": "json"}
HAZARD_CSV = {"record_type": "hazard", "fmt": "csv"}
HAZARD_JSON = {"record_type": "hazard", "fmt": "json"}

urlpatterns = [
    path("robots.txt", sitemaps.robots_txt, name="robots"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": sitemaps.SITEMAPS}, name="sitemap_index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": sitemaps.SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),  # fmt: skip
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("caim/favicon.svg"), permanent=True)),
    path("api/v3/taxonomy.json", taxonomy_views.taxonomy_json, name="taxonomy_json"),
    path("api/v3/records.json", api_views.records_json, name="api_records"),
    path("api/v3/stats.json", api_views.stats_json, name="api_stats"),
    path("api/v3/systemic-analysis.json", api_views.systemic_json, name="api_systemic"),
    path("api/v3/graph.json", api_views.graph_json, name="api_graph"),
    path("api/docs", api_views.api_browser, name="api_browser"),
    # The JSON Feed in English; in French at /fr/api/v3/feed.json (below, under the language prefix).
    path("api/v3/feed.json", api_feeds.json_feed, {"lang": "en"}, name="api_feed"),
    path("api/v3/", query_api.api.urls),
    path("api/v3/records/<slug:slug>.json", api_views.record_json, name="api_record"),
    path("api/v3/records/<slug:slug>/versions.json", api_views.versions_json, name="api_record_versions"),
    # Bulk downloads (SPEC §5.3): records.csv, records.jsonl, sources.csv, entities.csv (api/bulk.py), written
    # once per state of the public layer and served as files; their licence notice.
    path("api/v3/bulk/LICENCE.txt", api_views.bulk_licence, name="api_bulk_licence"),
    path("api/v3/bulk/<str:filename>", api_views.bulk_file, name="api_bulk"),
]
urlpatterns += i18n_patterns(
    path("", site_views.home, name="home"),
    path("about/", site_views.prose, {"name": "about"}, name="about"),
    path("incidents/", site_views.record_list, {"record_type": "incident"}, name="incident_list"),
    path("hazards/", site_views.record_list, {"record_type": "hazard"}, name="hazard_list"),
    # Every record of a list for its filters; before the record addresses (incidents/<ident>/...).
    path("incidents/download.csv", downloads.download, INCIDENT_CSV, name="incident_download_csv"),
    path("incidents/download.json", downloads.download, INCIDENT_JSON, name="incident_download_json"),
    path("hazards/download.csv", downloads.download, HAZARD_CSV, name="hazard_download_csv"),
    path("hazards/download.json", downloads.download, HAZARD_JSON, name="hazard_download_json"),
    path("search/", site_views.search, name="search"),
    path("methodology/", site_views.methodology, name="methodology"),
    path("standards/", site_views.prose, {"name": "standards"}, name="standards"),
    path("privacy/", site_views.prose, {"name": "privacy"}, name="privacy"),
    path("api/", site_views.api_page, name="api_docs"),
    path("corrections/", site_views.corrections, name="corrections"),
    path("stats/", stats_views.stats, name="stats"),
    path("stats/<slug:chart>.csv", stats_views.stats_csv, name="stats_csv"),
    path("entities/", directory.entity_list, name="entity_list"),
    path("entities/<slug:slug>/", directory.entity_detail, name="entity_detail"),
    path("systems/", directory.system_list, name="system_list"),
    path("systems/<slug:slug>/", directory.system_detail, name="system_detail"),
    path("taxonomy/", taxonomy_views.taxonomy_page, name="taxonomy"),
    # Feeds (SPEC §5.1, §5.3): the JSON Feed ("/api/v3/feed.json" itself is answered by the route above), Atom.
    path("api/v3/feed.json", api_feeds.json_feed, name="feed_json"),
    path("feeds/records.atom", site_feeds.RecordFeed(), name="feed_records"),
    path("feeds/incidents.atom", site_feeds.IncidentFeed(), name="feed_incidents"),
    path("feeds/hazards.atom", site_feeds.HazardFeed(), name="feed_hazards"),
    path("feeds/domains/<slug:slug>.atom", site_feeds.DomainFeed(), name="feed_domain"),
    path("feeds/entities/<slug:slug>.atom", site_feeds.EntityFeed(), name="feed_entity"),
    # One-record exports for other databases: OECD reporting framework (both types), AIID submission (incidents).
    path("incidents/<str:ident>/oecd.json", interop_views.record_export, INCIDENT_OECD, name="incident_oecd"),
    path(
        "incidents/<str:ident>/v/<int:number>/oecd.json",
        interop_views.record_export,
        INCIDENT_OECD,
        name="incident_version_oecd",
    ),
    path("incidents/<str:ident>/aiid.json", interop_views.record_export, INCIDENT_AIID, name="incident_aiid"),
    path(
        "incidents/<str:ident>/v/<int:number>/aiid.json",
        interop_views.record_export,
        INCIDENT_AIID,
        name="incident_version_aiid",
    ),
    path("hazards/<str:ident>/oecd.json", interop_views.record_export, HAZARD_OECD, name="hazard_oecd"),
    path(
        "hazards/<str:ident>/v/<int:number>/oecd.json",
        interop_views.record_export,
        HAZARD_OECD,
        name="hazard_version_oecd",
    ),
    path("submit/", include("caim.intake.urls")),
    path("", include("caim.records.urls")),
    path("staff/", include("caim.editorial.urls")),
    prefix_default_language=False,
)

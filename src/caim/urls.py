from django.conf.urls.i18n import i18n_patterns
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from caim.api import views as api_views
from caim.interop import views as interop_views
from caim.site import directory, taxonomy_views
from caim.site import views as site_views
from caim.stats import views as stats_views

INCIDENT_OECD = {"record_type": "incident", "fmt": "oecd"}
INCIDENT_AIID = {"record_type": "incident", "fmt": "aiid"}
HAZARD_OECD = {"record_type": "hazard", "fmt": "oecd"}

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("caim/favicon.svg"), permanent=True)),
    path("api/v3/taxonomy.json", taxonomy_views.taxonomy_json, name="taxonomy_json"),
    path("api/v3/records.json", api_views.records_json, name="api_records"),
    path("api/v3/records/<slug:slug>.json", api_views.record_json, name="api_record"),
    path("api/v3/records/<slug:slug>/versions.json", api_views.versions_json, name="api_record_versions"),
]
urlpatterns += i18n_patterns(
    path("", site_views.home, name="home"),
    path("about/", site_views.prose, {"name": "about"}, name="about"),
    path("incidents/", site_views.record_list, {"record_type": "incident"}, name="incident_list"),
    path("hazards/", site_views.record_list, {"record_type": "hazard"}, name="hazard_list"),
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
    path("", include("caim.records.urls")),
    path("staff/", include("caim.editorial.urls")),
    prefix_default_language=False,
)

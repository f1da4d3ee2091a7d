from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from caim.site import views as site_views

urlpatterns = i18n_patterns(
    path("", site_views.home, name="home"),
    path("about/", site_views.prose, {"name": "about"}, name="about"),
    path("", include("caim.records.urls")),
    path("staff/", include("caim.editorial.urls")),
    prefix_default_language=False,
)

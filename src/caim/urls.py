from django.conf.urls.i18n import i18n_patterns
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from caim.site import views as site_views

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("caim/favicon.svg"), permanent=True)),
]
urlpatterns += i18n_patterns(
    path("", site_views.home, name="home"),
    path("about/", site_views.prose, {"name": "about"}, name="about"),
    path("", include("caim.records.urls")),
    path("staff/", include("caim.editorial.urls")),
    prefix_default_language=False,
)

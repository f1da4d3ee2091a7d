"""The site's URLs and one view that fails, to see the 500 page as a visitor gets it (tests/security)."""

from django.urls import path

from caim.urls import urlpatterns as site_urlpatterns


def failing(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("failing/", failing), *site_urlpatterns]

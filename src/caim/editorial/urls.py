from django.contrib.auth import views as auth_views
from django.urls import path

from caim.editorial import views
from caim.editorial.signin import RateLimitedLoginView

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/<int:pk>/", views.record, name="record"),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

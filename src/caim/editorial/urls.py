from django.contrib.auth import views as auth_views
from django.urls import path

from caim.editorial import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/<int:pk>/", views.record, name="record"),
    path("login/", auth_views.LoginView.as_view(template_name="editorial/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

from django.urls import path

from caim.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.submit, name="submit"),
    path("correction/<int:pk>/", views.correction, name="correction"),
    path("status/<str:token>/", views.status, name="status"),
]

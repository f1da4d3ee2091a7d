from django.urls import path

from caim.records.views import public

app_name = "records"


def typed(record_type: str, prefix: str):
    kind = {"record_type": record_type}
    return [
        path(f"{prefix}/<str:ident>/", public.record_detail, kind, name=f"{record_type}_detail"),
        path(
            f"{prefix}/<str:ident>/v/<int:number>/", public.record_detail, kind, name=f"{record_type}_version"
        ),
        path(
            f"{prefix}/<str:ident>/cite.<str:fmt>", public.record_citation, kind, name=f"{record_type}_cite"
        ),
        path(
            f"{prefix}/<str:ident>/diff/<int:first>/<int:second>/",
            public.record_diff,
            kind,
            name=f"{record_type}_diff",
        ),
        path(
            f"{prefix}/<str:ident>/v/<int:number>/cite.<str:fmt>",
            public.record_citation,
            kind,
            name=f"{record_type}_version_cite",
        ),
    ]


urlpatterns = typed("incident", "incidents") + typed("hazard", "hazards")

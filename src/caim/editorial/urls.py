from django.contrib.auth import views as auth_views
from django.urls import path

from caim.editorial.signin import RateLimitedLoginView
from caim.editorial.views import dashboard, editor, entities, leads, records, sources, translate

app_name = "staff"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("records/new/", editor.new, name="new"),
    path("records/<int:pk>/", records.record, name="record"),
    path("records/<int:pk>/edit/", editor.edit, name="edit"),
    path("records/<int:pk>/lint/", editor.lint, name="lint"),
    path("records/<int:pk>/preview/", editor.preview, name="preview"),
    path("records/<int:pk>/duplicates/", editor.duplicates, name="duplicates"),
    path("records/<int:pk>/translate/", translate.translate, name="translate"),
    path("records/<int:pk>/changes/", records.changes, name="changes"),
    path("records/<int:pk>/move/", records.move, name="move"),
    path("records/<int:pk>/assign/", records.assign, name="assign"),
    path("records/<int:pk>/comment/", records.comment, name="comment"),
    path("records/<int:pk>/return/", records.return_for_changes, name="return"),
    path("records/<int:pk>/publish/", records.publish, name="publish"),
    path("records/<int:pk>/withdraw/", records.withdraw, name="withdraw"),
    path("records/<int:pk>/revert/", records.revert, name="revert"),
    path("records/<int:pk>/merge/", records.merge, name="merge"),
    path("leads/", leads.lead_list, name="leads"),
    path("leads/<int:pk>/", leads.lead, name="lead"),
    path("leads/<int:pk>/screen/", leads.screen, name="lead_screen"),
    path("leads/<int:pk>/decline/", leads.decline, name="lead_decline"),
    path("leads/<int:pk>/draft/", leads.draft, name="lead_draft"),
    path("leads/<int:pk>/attach/", leads.attach, name="lead_attach"),
    path("leads/<int:pk>/incident/", leads.incident, name="lead_incident"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/new/", sources.source_new, name="source_new"),
    path("sources/<int:pk>/", sources.source_edit, name="source_edit"),
    path("sources/<int:pk>/active/", sources.source_active, name="source_active"),
    path("entities/", entities.entities, name="entities"),
    path("entities/<int:pk>/", entities.entity, name="entity"),
    path("entities/<int:pk>/merge/", entities.merge_entity, name="merge_entity"),
    path("entities/search/", entities.search, {"kind": "entities"}, name="search_entities"),
    path("entities/new/", entities.create, {"kind": "entities"}, name="create_entity"),
    path("systems/search/", entities.search, {"kind": "systems"}, name="search_systems"),
    path("systems/new/", entities.create, {"kind": "systems"}, name="create_system"),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

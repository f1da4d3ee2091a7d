"""The editorial area is staff-only and shows each record's lint, versions and audit trail."""

from __future__ import annotations

from caim.records.models import Record


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/?next=")
    record = Record.objects.first()
    assert client.get(f"/staff/records/{record.pk}/").status_code == 302


def test_account_without_a_role_is_forbidden(client, outsider):
    client.force_login(outsider)
    assert client.get("/staff/").status_code == 403


def test_editor_sees_records_lint_and_audit(client, editor, reviewer, incident):
    client.force_login(editor)
    page = client.get("/staff/").content.decode()
    assert incident.title_en.replace("'", "&#x27;") in page
    detail = client.get(f"/staff/records/{incident.pk}/").content.decode()
    assert "created the draft" in detail and "published" in detail and "Initial publication." in detail
    assert "No lint issue." in detail or "lint-warning" in detail


def test_sign_in_form(client, editor):
    editor.set_password("a-long-test-password")
    editor.save()
    page = client.get("/staff/login/").content.decode()
    assert "csrfmiddlewaretoken" in page
    bad = client.post("/staff/login/", {"username": editor.username, "password": "wrong"})
    assert "did not match" in bad.content.decode()
    good = client.post("/staff/login/", {"username": editor.username, "password": "a-long-test-password"})
    assert good.status_code == 302
    fr = client.get("/fr/staff/login/").content.decode()
    assert "Connexion de l" in fr and "Nom d" in fr


def test_sign_in_is_rate_limited(client, editor):
    from django.core.cache import cache

    from tests.factories import make_user

    cache.clear()
    editor.set_password("a-long-test-password")
    editor.save()
    other = make_user("t-other-editor", "editor")
    other.set_password("another-long-password")
    other.save()

    def sign_in(username, password):
        return client.post("/staff/login/", {"username": username, "password": password})

    for _ in range(5):
        assert sign_in(editor.username, "wrong").status_code == 200
    locked = sign_in(editor.username, "a-long-test-password")
    assert locked.status_code == 429 and "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # the failures lock this account from this address, not every account
    assert sign_in("t-other-editor", "another-long-password").status_code == 302
    client.logout()
    cache.clear()
    assert sign_in(editor.username, "a-long-test-password").status_code == 302


def test_look_alike_usernames_share_the_limit(client, editor):
    from django.core.cache import cache

    cache.clear()
    editor.username = "bob"
    editor.set_password("a-long-test-password")
    editor.save()
    for _ in range(5):
        client.post("/staff/login/", {"username": "bob", "password": "wrong"})
    fullwidth = client.post("/staff/login/", {"username": "ｂｏｂ", "password": "a-long-test-password"})
    assert fullwidth.status_code == 429
    cache.clear()


def test_sign_in_without_next_goes_to_the_staff_area(client, editor):
    from django.core.cache import cache

    cache.clear()
    editor.set_password("a-long-test-password")
    editor.save()
    response = client.post("/staff/login/", {"username": editor.username, "password": "a-long-test-password"})
    assert response["Location"] == "/staff/"


def test_sign_out_returns_to_the_sign_in_page(client, editor):
    client.force_login(editor)
    response = client.post("/staff/logout/")
    assert response.status_code == 302 and response["Location"] == "/staff/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302
    fr = client.post("/fr/staff/logout/")
    assert fr.status_code == 302 and fr["Location"] == "/fr/staff/login/"


def test_staff_pages_are_never_cached(client, editor, incident):
    client.force_login(editor)
    for url in ("/staff/", f"/staff/records/{incident.pk}/"):
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
    client.logout()
    assert "no-store" in client.get("/staff/")["Cache-Control"]
    assert "no-store" in client.get("/staff/login/")["Cache-Control"]


def test_failed_sign_ins_are_counted_in_the_shared_database_cache(client, editor):
    """Every worker reads the same table, so the limit holds whichever worker answers."""
    from django.core.cache import cache
    from django.db import connection

    cache.clear()
    client.post("/staff/login/", {"username": editor.username, "password": "wrong"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM caim_cache WHERE cache_key LIKE %s", ["%caim:signin:%"])
        assert cursor.fetchone()[0] == 2  # per account and address, and per address
    cache.clear()

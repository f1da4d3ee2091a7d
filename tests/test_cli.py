"""The `caim` command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from caim.cli import build_parser, main

COMMANDS = {
    "demo",
    "purge-contacts",
    "embed",
    "serve",
    "check",
    "migrate",
    "createuser",
    "lint",
    "reproject",
    "reindex",
    "generate",
    "import-aiid",
    "dump",
    "load",
    "export-api",
    "export-site",
    "compilemessages",
    "poll",
    "worker",
}


def test_lint_over_the_demo_reports_no_error(db, capsys):
    assert main(["lint"]) == 0
    out = capsys.readouterr().out
    assert "record(s) checked: 0 error(s)" in out


def test_lint_unknown_slug(db, capsys):
    assert main(["lint", "no-such-record"]) == 2
    assert "No record with slug(s): no-such-record" in capsys.readouterr().err


def test_lint_fails_on_a_record_with_errors(db, capsys, editor, entities, clock):
    from tests import factories

    record = factories.draft(editor, "incident", factories.incident_data(severity=""), clock)
    assert main(["lint", record.slug]) == 1
    assert "error [required] severity" in capsys.readouterr().out


def test_createuser_with_roles(db, capsys):
    assert main(["createuser", "t-cli-user", "--role", "editor", "--role", "reviewer"]) == 0
    out = capsys.readouterr().out
    assert "password:" in out
    user = get_user_model().objects.get(username="t-cli-user")
    assert set(user.groups.values_list("name", flat=True)) == {"editor", "reviewer"}
    password = out.rsplit("password: ", 1)[1].strip()
    assert user.check_password(password)


def test_createuser_refuses_bad_input(db, capsys):
    assert main(["createuser", "t-cli-bad", "--role", "wizard"]) == 2
    assert "Unknown role(s): wizard" in capsys.readouterr().err
    assert main(["createuser", "t-cli-bad", "--password", "123"]) == 2
    assert "Password refused" in capsys.readouterr().err
    assert not get_user_model().objects.filter(username="t-cli-bad").exists()


def test_every_command_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == COMMANDS
    readme = Path("README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"caim {command}" in readme, command


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "caim", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "createuser" in result.stdout


@pytest.mark.parametrize("argv", [["nonsense"], []])
def test_bad_command(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2


def test_demo_prints_two_logins_that_work(db, capsys):
    """An editor and a reviewer: the two-person rule means one demo account could not publish its own edits."""
    from django_tasks_db.models import DBTaskResult

    assert main(["demo", "--no-serve"]) == 0
    assert not DBTaskResult.objects.ready().exists()  # what its publications queued has run
    out = capsys.readouterr().out
    logins = dict(re.findall(r"username: (\w+)\s+password: (\S+)", out))
    assert set(logins) == {"editor", "reviewer"}
    for username, role in (("editor", "editor"), ("reviewer", "reviewer")):
        user = get_user_model().objects.get(username=username)
        assert user.check_password(logins[username])
        assert list(user.groups.values_list("name", flat=True)) == [role]


def test_reproject_rewrites_columns_and_tags_from_the_current_versions(db, capsys, incident):
    from caim.records.models import PublicRecord, PublicTag

    PublicRecord.objects.filter(pk=incident.pk).update(severity="", verification="", title_en="stale")
    PublicTag.objects.filter(record_id=incident.pk).delete()
    assert main(["reproject"]) == 0
    assert "public records rewritten" in capsys.readouterr().out
    public = PublicRecord.objects.get(pk=incident.pk)
    assert (public.severity, public.verification) == ("significant", "confirmed")
    assert public.title_en == incident.title_en
    assert set(PublicTag.objects.filter(record_id=incident.pk).values_list("vocabulary", "slug")) >= {
        ("domain", "consumer_technology"),
        ("harm_type", "economic_harm"),
    }

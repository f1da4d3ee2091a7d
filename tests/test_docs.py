"""Documentation that tests itself: every setting and the project layout are documented."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_documented():
    settings_source = (ROOT / "src/caim/settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:environ\.get|env_bool|env_list)\(\s*["']([A-Z_]+)["']""", settings_source))
    names |= {"CAIM_TEST_DATABASE_URL", "CAIM_REQUIRE_POSTGRES", "CAIM_REQUIRE_BROWSER"}
    documented = (ROOT / "docs/configuration.md").read_text(encoding="utf-8")
    assert names and {n for n in names if f"`{n}`" not in documented} == set()


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "make test" in ci and "chromium" in ci

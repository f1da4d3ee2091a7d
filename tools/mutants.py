"""Mutation testing of one module with mutmut 3, every mutant tested inside one pytest session.

mutmut's own runner (`mutmut run`) starts a pytest session per mutant, and each session builds the test database
and loads the demo set again. This script lets mutmut generate the mutants and record which tests call which
function, then tests the mutants itself: mutmut's trampolines read the active mutant from MUTANT_UNDER_TEST at
every call, so one session can set it, run the tests that call the mutated function (fastest first, stopping at
the first failure, as mutmut does) and go on to the next mutant.

    .venv/bin/pip install mutmut==3.8.1     # not a project dependency
    .venv/bin/python tools/mutants.py src/caim/params.py tests/site tests/api tests/test_params.py
    .venv/bin/python tools/mutants.py src/caim/records/changes.py tests/records --sample 150 --seed 2026
    .venv/bin/python tools/mutants.py src/caim/records/changes.py tests/records --survivors-of OLD/results.jsonl

The module is HEAD's: the tree is copied with `git archive HEAD` into --dir (default /tmp/caim-mutants, emptied
first); --with copies files of the work tree on top (tests not yet committed). Prints the survivors and timeouts
with their diffs, killed/survived/timeouts and the score, killed / (killed + survived); every verdict goes to
DIR/results.jsonl. A mutant is a timeout when one of its tests runs longer than --timeout seconds.
The tests run once without a mutant before the mutants and once after them: both runs must pass.
--survivors-of tests again only the mutants an earlier run of the same module did not kill (after tests were added,
a killed mutant stays killed), so that an "after" score costs the survivors only.
Code that runs only at import (a decorator factory applied to views) runs before any mutant is active: its mutants
survive here unless a test calls that code itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

ROOT = Path(__file__).resolve().parent.parent
SETUP_CFG = """[mutmut]
source_paths=src
only_mutate={module}
pytest_add_cli_args=
    -p
    no:cacheprovider
{deselect}pytest_add_cli_args_test_selection=
{tests}
"""


# The pytest plugin (python -m pytest -p mutants, with this directory on PYTHONPATH and MUTANTS_PLAN set).


class MutantTimeout(BaseException):  # not an Exception: the code under test must not catch it
    pass


def _alarm(signum, frame):
    raise MutantTimeout


def _run(name: str, items: list, after, timeout: float) -> tuple[str, str, str]:
    """('killed', 'timeout' or 'survived', the test that failed, its report): run `items` with mutant `name` active
    until one fails. `after` is the first item of the next run, so that fixtures are torn down to what it needs."""
    os.environ["MUTANT_UNDER_TEST"] = name
    signal.signal(signal.SIGALRM, _alarm)
    for i, item in enumerate(items):
        following = items[i + 1] if i + 1 < len(items) else after
        if following is item:  # the next run starts with this test: tear it down, or it is not set up again
            following = item.parent
        # The alarm repeats: an exception raised inside a callback that swallows it (hypothesis's gc hook) would
        # otherwise leave a stuck test without a timeout.
        signal.setitimer(signal.ITIMER_REAL, timeout, 5)
        try:
            reports = runtestprotocol(item, nextitem=following, log=False)
            failed = [str(r.longrepr) for r in reports if r.failed]
        except MutantTimeout:
            failed = ["MutantTimeout"]
        except SystemError as exc:  # the alarm interrupted the compiler while pytest rendered a failure
            failed = [f"MutantTimeout ({exc})"]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if failed:
            item.session._setupstate.teardown_exact(after)
            status = "timeout" if any("MutantTimeout" in f for f in failed) else "killed"
            return status, item.nodeid, "\n".join(failed)
    return "survived", "", ""


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    plan = json.loads(Path(os.environ["MUTANTS_PLAN"]).read_text())
    by_id = {item.nodeid: item for item in session.items}
    runs = [("", session.items)]
    runs += [(name, [by_id[t] for t in tests if t in by_id]) for name, tests in plan["mutants"].items()]
    runs.append(("", session.items))
    write = session.config.pluginmanager.get_plugin("terminalreporter").write_line
    with open(plan["results"], "w") as out:
        for n, (name, items) in enumerate(runs):
            after = runs[n + 1][1][0] if n + 1 < len(runs) else None
            status, test, report = _run(name, items, after, plan["timeout"] if name else 3600)
            if not name and status != "survived":
                raise pytest.UsageError(f"{test} fails without a mutant:\n{report}")
            if name:
                out.write(json.dumps({"mutant": name, "status": status, "test": test}) + "\n")
                out.flush()
                write(f"{n}/{len(runs) - 2} {status} {name}")
    os.environ["MUTANT_UNDER_TEST"] = ""
    return True


# The command line.


def _prepare(work: Path, module: str, tests: list[str], extra: list[str], deselect: list[str]) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tree = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout  # noqa: S603, S607
    subprocess.run(["tar", "-x", "-C", work], input=tree, check=True)  # noqa: S603, S607
    for path in extra:
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, work / path)
    (work / "setup.cfg").write_text(
        SETUP_CFG.format(
            module=module,
            deselect="".join(f"    --deselect\n    {t}\n" for t in deselect),
            tests="\n".join(f"    {t}" for t in tests),
        )
    )
    # mutmut generates the mutants and records its stats, then stops: no mutant has this name.
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run([mutmut, "run", "no-such-mutant"], cwd=work, capture_output=True)  # noqa: S603
    if not (work / "mutants/mutmut-stats.json").exists():
        sys.exit(f"mutmut recorded no stats: run `mutmut run no-such-mutant` in {work} to see why")


def _plan(
    work: Path, module: str, sample: int | None, seed: int, only: set[str] | None = None
) -> tuple[dict, list[str]]:
    """({mutant: its tests, fastest first}, mutants that no selected test calls); `only`: these mutants alone."""
    stats = json.loads((work / "mutants/mutmut-stats.json").read_text())
    names = json.loads((work / f"mutants/{module}.meta").read_text())["exit_code_by_key"]
    calls, seconds = stats["tests_by_mangled_function_name"], stats["duration_by_test"]
    tests = {
        name: sorted(calls.get(name.partition("__mutmut_")[0], []), key=lambda t: seconds.get(t, 0))
        for name in names
    }
    untested = sorted(name for name in tests if not tests[name])
    chosen = sorted(name for name in tests if tests[name] and (only is None or name in only))
    if sample and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample))
    return {name: tests[name] for name in chosen}, untested


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("module", help="the file to mutate, e.g. src/caim/params.py")
    parser.add_argument("tests", nargs="+", help="test files or directories to select tests from")
    parser.add_argument("--with", dest="extra", action="append", default=[], help="a work-tree file to copy")
    parser.add_argument("--deselect", action="append", default=[], help="a test id to leave out")
    parser.add_argument("--sample", type=int, help="test a seeded random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--survivors-of",
        type=Path,
        help="the results.jsonl of an earlier run: test again only the mutants it did not kill (same module)",
    )
    parser.add_argument("--timeout", type=float, default=20, help="seconds per test")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir(), "caim-mutants"))
    args = parser.parse_args(argv)

    only = None
    if args.survivors_of:  # read before --dir is emptied: it may be the same directory
        earlier = [json.loads(line) for line in args.survivors_of.read_text().splitlines()]
        only = {r["mutant"] for r in earlier if r["status"] != "killed"}
    _prepare(args.dir, args.module, args.tests, args.extra, args.deselect)
    mutants, untested = _plan(args.dir, args.module, args.sample, args.seed, only)
    plan = args.dir / "plan.json"
    results = args.dir / "results.jsonl"
    plan.write_text(json.dumps({"mutants": mutants, "timeout": args.timeout, "results": str(results)}))
    env = dict(os.environ, PYTHONPATH=f"src{os.pathsep}{ROOT / 'tools'}", MUTANTS_PLAN=str(plan))
    # Native tracebacks: pytest's own re-parse the test's source, which an alarm can interrupt mid-compile.
    pytest_args = [
        "-m",
        "pytest",
        "-q",
        "--tb=native",
        "-p",
        "no:cacheprovider",
        "-p",
        "mutants",
        *args.tests,
    ]
    pytest_args += [arg for test in args.deselect for arg in ("--deselect", test)]
    session = subprocess.run([sys.executable, *pytest_args], cwd=args.dir / "mutants", env=env)  # noqa: S603
    if session.returncode:
        sys.exit(f"the test session failed ({session.returncode})")

    verdicts = {r["mutant"]: r["status"] for r in map(json.loads, results.read_text().splitlines())}
    for name, status in sorted(verdicts.items()):
        if status != "killed":
            show = subprocess.run(  # noqa: S603
                [Path(sys.executable).with_name("mutmut"), "show", name],
                cwd=args.dir,
                capture_output=True,
                text=True,
            )
            diff = [
                line
                for line in show.stdout.splitlines()
                if line[:1] in "-+" and line[:3] not in ("---", "+++")
            ]
            print(f"\n{status}: {name}", *diff, sep="\n  ")
    count = Counter(verdicts.values())
    killed, survived = count["killed"], count["survived"]
    total = len(json.loads((args.dir / f"mutants/{args.module}.meta").read_text())["exit_code_by_key"])
    print(
        f"\n{args.module}: {total} mutants, {len(untested)} called by no selected test, {len(verdicts)} tested:"
        f" {killed} killed, {survived} survived, {count['timeout']} timeouts;"
        f" score {100 * killed / max(1, killed + survived):.1f} %"
    )


if __name__ == "__main__":
    main()

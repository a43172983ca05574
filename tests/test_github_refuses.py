"""One verdict on what GitHub refuses, from the one workflow reader, everywhere.

A key written twice (PyYAML alone would keep the last `paths:` and call the workflow runnable),
an event GitHub does not know (`pushh`), an invalid glob, a filter beside its `-ignore` twin:
`explain` reports ERROR (exit 3 after the report), and every migration refuses such a source
before any work (exit 3), changing nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migrate.cli import main
from migrate.workflows import parse_workflow
from tests.helpers import build_file_tree, commit_all, git, make_repo, repo_state
from tests.suite_fixtures import case_answers, generate

EVENTS_HINT = ("use the event names of GitHub's \"Events that trigger workflows\" (push, "
               "pull_request, workflow_dispatch, schedule, ...)")
# (workflow text, why GitHub refuses it, the fix)
REFUSED = {
    "paths written twice": (
        "on:\n  push:\n    paths: ['infra/a.yml']\n    paths: ['infra/b.yml']\njobs: {}\n",
        "the key 'paths' is written twice in one mapping (lines 3 and 4); GitHub refuses such a "
        "workflow", "keep one 'paths' (merge the two values into it)"),
    "on written twice, quoted once": (
        "on: push\n'on': pull_request\njobs: {}\n",
        "the key 'on' is written twice in one mapping (lines 1 and 2); GitHub refuses such a "
        "workflow", "keep one 'on' (merge the two values into it)"),
    "a job key written twice": (
        "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n",
        "the key 'runs-on' is written twice in one mapping (lines 4 and 5); GitHub refuses such "
        "a workflow", "keep one 'runs-on' (merge the two values into it)"),
    "a flow mapping's key twice": (
        "on: {push: {}, push: {}}\n",
        "the key 'push' is written twice in one mapping (line 1); GitHub refuses such a workflow",
        "keep one 'push' (merge the two values into it)"),
    "unknown event pushh": (
        "on:\n  pushh:\n    paths: [infra/**]\njobs: {}\n",
        "'on' lists 'pushh', which is not an event GitHub knows; GitHub refuses the workflow",
        f"did you mean 'push'? {EVENTS_HINT}"),
    "unknown event in a list": (
        "on: [push, pull_requests]\n",
        "'on' lists 'pull_requests', which is not an event GitHub knows; GitHub refuses the "
        "workflow", f"did you mean 'pull_request'? {EVENTS_HINT}"),
    "unknown event alone": (
        "on: zzz\n",
        "'on' lists 'zzz', which is not an event GitHub knows; GitHub refuses the workflow",
        EVENTS_HINT),
    "invalid branch glob": (
        "on:\n  push:\n    branches: ['?x']\n",
        "on.push.branches: invalid filter pattern '?x' (character 1): '?' at the start has no "
        "preceding character to repeat ('?' means zero or one of the preceding character); "
        "GitHub refuses a workflow with this pattern",
        "escape literal characters with '\\': write '\\?x' (in YAML single quotes)"),
    "paths with paths-ignore": (
        "on:\n  push:\n    paths: [a]\n    paths-ignore: [b]\n",
        "on.push has both paths and paths-ignore, which GitHub refuses",
        "keep one: use paths with '!' patterns to both include and exclude"),
    "branches with branches-ignore": (
        "on:\n  pull_request:\n    branches: [main]\n    branches-ignore: [dev]\n",
        "on.pull_request has both branches and branches-ignore, which GitHub refuses",
        "keep one: use branches with '!' patterns to both include and exclude"),
    "tags with tags-ignore": (
        "on:\n  push:\n    tags: [v*]\n    tags-ignore: [v0*]\n",
        "on.push has both tags and tags-ignore, which GitHub refuses",
        "keep one: use tags with '!' patterns to both include and exclude"),
}
NOT_REFUSED = [
    "on:\n  push:\n  pull_request:\n  workflow_dispatch:\n  schedule:\n    - cron: '0 0 * * *'\n",
    "on: [merge_group, workflow_call, workflow_run, image_version, registry_package]\n",
    # A key a `<<` merge brings in is an override, not a repetition.
    "x: &base {runs-on: a}\non: push\njobs:\n  j:\n    <<: *base\n    runs-on: b\n",
    "on:\n  push:\n    branches: [main]\n    tags: [v*]\n    paths: [a]\n",
]


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_reader_gives_githubs_verdict(name: str) -> None:
    text, problem, fix = REFUSED[name]
    error = parse_workflow(".github/workflows/w.yml", text.encode()).error
    assert error is not None and (error.runs, error.error, error.fix) == (False, problem, fix)


@pytest.mark.parametrize("text", NOT_REFUSED)
def test_the_reader_takes_what_github_takes(text: str) -> None:
    assert parse_workflow(".github/workflows/w.yml", text.encode()).error is None


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_explain_reports_each_as_error_then_exits_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {f".github/workflows/w{i:02}.yml": text for i, (text, _, _) in enumerate(REFUSED.values())}
    repo = make_repo(tmp_path / "r", files)
    code, out, err = cli(capsys, "explain", "--repo", str(repo), "--changed", "infra/a.yml")
    assert code == 3
    pad = " " * len(".github/workflows/w00.yml  ERROR  ")
    expected = ["push refs/heads/main, 1 changed file", f"{'WORKFLOW':<25}  RUNS   REASON"]
    for i, (_, problem, fix) in enumerate(REFUSED.values()):
        expected += [f".github/workflows/w{i:02}.yml  ERROR  invalid workflow: {problem}",
                     f"{pad}fix: {fix}"]
    assert out.splitlines() == [*expected, f"0 of {len(REFUSED)} workflows would run"]
    assert err.startswith(f"repo-migrate: error: {len(REFUSED)} workflows GitHub would refuse "
                          "(never run): .github/workflows/w00.yml, ")


# ---- migrations refuse such a source -----------------------------------------------------------

@pytest.fixture(scope="module")
def _sources(plain_suite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("refused")
    for case, name in (("monorepo", "acme-platform"), ("separate-app", "acme-app"),
                       ("separate-infra", "acme-infra")):
        dest = generate(plain_suite, root / name, case_answers(case, repo_name=name))
        git(dest, "init", "-q", "-b", "main")
        commit_all(dest, "generated")
    return root


BROKEN = {  # where the refused workflow sits, and its text
    "duplicate paths in the trigger": (".github/workflows/trigger-infra.yml", None),
    "pushh in another workflow": (".github/workflows/deploy.yml", REFUSED["unknown event pushh"][0]),
    "paths-ignore beside paths": (".github/workflows/lint.yml", REFUSED["paths with paths-ignore"][0]),
}
COMMANDS = {
    "mono-to-separate": ("acme-platform", ["mono-to-separate", "{acme-platform}", "--infra-repo",
                                           "{out}"]),
    "separate-to-mono (infra)": ("acme-infra", ["separate-to-mono", "--app", "{acme-app}",
                                                "--infra", "{acme-infra}", "--dest", "{out}"]),
    "separate-to-mono (app)": ("acme-app", ["separate-to-mono", "--app", "{acme-app}",
                                            "--infra", "{acme-infra}", "--dest", "{out}"]),
    "add-region": ("acme-platform", ["add-region", "eu-west", "--repo", "{acme-platform}"]),
    "set-trigger": ("acme-platform", ["set-trigger", "--on", "tag", "--tags", "v*", "--repo",
                                      "{acme-platform}"]),
}


@pytest.mark.parametrize(("command", "broken"), [
    (c, b) for c in COMMANDS for b in BROKEN
    if not (c == "separate-to-mono (app)" and b == "duplicate paths in the trigger")])  # none there
def test_every_migration_refuses_a_source_github_would_refuse(
        _sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        command: str, broken: str) -> None:
    for name in ("acme-platform", "acme-app", "acme-infra"):
        shutil.copytree(_sources / name, tmp_path / name, symlinks=True)
    target, args = COMMANDS[command]
    repo = tmp_path / target
    path, text = BROKEN[broken]
    if text is None:  # the second `paths:` GitHub refuses and PyYAML would silently keep
        wf = repo / path
        text = wf.read_text().replace("  pull_request:\n    paths:\n",
                                      "  pull_request:\n    paths: [infra/**]\n    paths:\n")
        assert text != wf.read_text()
    build_file_tree(repo, {path: text})
    commit_all(repo, "a workflow GitHub refuses")
    before = {n: repo_state(tmp_path / n) for n in ("acme-platform", "acme-app", "acme-infra")}
    code, out, err = cli(capsys, *(a.format(out=tmp_path / "out", **{
        n: tmp_path / n for n in ("acme-platform", "acme-app", "acme-infra")}) for a in args))
    assert (code, out) == (3, ""), err
    assert err.startswith(f"repo-migrate: error: the workflows of {repo} are already broken: "
                          f"{path} is invalid: ")
    assert "\n  fix: " in err
    assert {n: repo_state(tmp_path / n) for n in before} == before
    assert not (tmp_path / "out").exists()

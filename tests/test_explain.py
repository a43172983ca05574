"""`repo-migrate explain` on real git repositories: table, JSON, --commits, limits, refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.cli import main
from migrate.errors import VerificationFailed
from migrate.routing import check_trigger_routing, trigger_routing, workflows_run_for
from tests.helpers import build_file_tree, commit_all, git, make_repo, repo_state

TRIGGER = """\
name: trigger infra
on:
  push:
    branches: [main]
    paths:
      - 'infra/**'
      - '!infra/*.md'
  workflow_dispatch:
jobs: {}
"""
CI = "on: [push, pull_request]\njobs: {}\n"
RELEASE = "on:\n  push:\n    tags: ['infra-v*']\njobs: {}\n"
DOCS = "on:\n  pull_request:\n    paths-ignore: ['**.md']\njobs: {}\n"

FILES = {
    ".github/workflows/trigger-infra.yml": TRIGGER,
    ".github/workflows/ci.yml": CI,
    ".github/workflows/release.yaml": RELEASE,
    ".github/workflows/docs.yml": DOCS,
    ".github/workflows/README.md": "not a workflow\n",
    ".github/workflows/nested/ignored.yml": "on: push\njobs: {}\n",  # GitHub reads the top level only
    "infra/variables.yml": "customer_id: c1\n",
    "infra/README.md": "infra\n",
    "app/main.py": "print('hi')\n",
}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["explain", *args])
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="session")
def repo(_hermetic_git: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with four workflows; read-only for the tests that share it."""
    return make_repo(tmp_path_factory.mktemp("explain") / "repo", FILES)


def test_table_for_an_infra_change(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = repo_state(repo)
    code, out, err = cli(capsys, "--repo", str(repo), "--changed", "infra/variables.yml")
    assert (code, err) == (0, "")
    assert out == (
        "push refs/heads/main, 1 changed file\n"
        "WORKFLOW                             RUNS   REASON\n"
        ".github/workflows/ci.yml             yes    on.push has no branch, tag or path filters\n"
        ".github/workflows/docs.yml           no     push is not among its events (pull_request)\n"
        ".github/workflows/release.yaml       no     on.push has only tag filters (tags); "
        "a branch push does not run it\n"
        ".github/workflows/trigger-infra.yml  yes    branch 'main' matched on.push.branches 'main'; "
        "'infra/variables.yml' matched on.push.paths 'infra/**'\n"
        "2 of 4 workflows would run\n"
    )
    assert repo_state(repo) == before


def test_json_for_an_app_change(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "--repo", str(repo), "--changed", "app/main.py", "--changed", "infra/README.md",
        "--json",
    )
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["event"] == "push" and doc["ref"] == "refs/heads/main"
    assert doc["changed"] == ["app/main.py", "infra/README.md"]
    assert [(w["file"], w["runs"], w["reason"], w["filter"], w["pattern"], w["error"])
            for w in doc["workflows"]] == [
        (".github/workflows/ci.yml", True, "on.push has no branch, tag or path filters",
         None, None, None),
        (".github/workflows/docs.yml", False, "push is not among its events (pull_request)",
         None, None, None),
        (".github/workflows/release.yaml", False,
         "on.push has only tag filters (tags); a branch push does not run it",
         "on.push.tags", None, None),
        (".github/workflows/trigger-infra.yml", False,
         "no changed file matched on.push.paths (2 changed files; first: 'app/main.py' matched "
         "no pattern)", "on.push.paths", None, None),
    ]


def test_tag_push_runs_the_tag_workflow_and_skips_path_filters(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "--repo", str(repo), "--ref", "refs/tags/infra-v1", "--json")
    assert code == 0
    runs = {w["file"]: (w["runs"], w["reason"]) for w in json.loads(out)["workflows"]}
    assert runs[".github/workflows/release.yaml"] == (
        True, "tag 'infra-v1' matched on.push.tags 'infra-v*'")
    assert runs[".github/workflows/trigger-infra.yml"] == (
        False, "on.push has only branch filters (branches); a tag push does not run it")
    assert runs[".github/workflows/ci.yml"][0] is True


def test_pull_request_and_workflow_dispatch(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "--repo", str(repo), "--event", "pull_request", "--changed", "x.md",
                    "--json")
    runs = {w["file"]: (w["runs"], w["reason"]) for w in json.loads(out)["workflows"]}
    assert runs[".github/workflows/docs.yml"] == (
        False, "all 1 changed file ignored by on.pull_request.paths-ignore (first: 'x.md' by '**.md')")
    assert runs[".github/workflows/ci.yml"] == (True, "on.pull_request has no branch, tag or path filters")
    _, out, _ = cli(capsys, "--repo", str(repo), "--event", "workflow_dispatch")
    assert out.splitlines()[0] == "workflow_dispatch refs/heads/main"
    assert ".github/workflows/trigger-infra.yml  yes    on.workflow_dispatch has no branch, tag or path filters" in out


def test_workflows_run_for_api(repo: Path) -> None:
    assert workflows_run_for(repo, ["infra/variables.yml"]) == [
        ".github/workflows/ci.yml", ".github/workflows/trigger-infra.yml"]
    assert workflows_run_for(repo, ["app/main.py"]) == [".github/workflows/ci.yml"]
    assert workflows_run_for(repo, [], ref="refs/tags/infra-v2") == [
        ".github/workflows/ci.yml", ".github/workflows/release.yaml"]
    assert workflows_run_for(repo, ["infra/variables.yml"], event="pull_request") == [
        ".github/workflows/ci.yml", ".github/workflows/docs.yml"]


def test_console_script_entry_point(repo: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "migrate", "explain", "--repo", str(repo), "--changed",
         "infra/variables.yml", "--json"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    assert [w["runs"] for w in json.loads(out.stdout)["workflows"]] == [True, False, False, True]


# ---- --commits: the changed files come from git, as GitHub computes them --------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """main: init -> infra change (A..B); branch feature from init changes app only."""
    repo = make_repo(tmp_path / "h", {
        ".github/workflows/trigger-infra.yml": TRIGGER,
        ".github/workflows/any.yml": "on:\n  push:\n  pull_request:\njobs: {}\n",
        "infra/variables.yml": "v: 1\n",
        "app/main.py": "1\n",
    })
    git(repo, "tag", "A")
    git(repo, "checkout", "-q", "-b", "feature")
    build_file_tree(repo, {"app/main.py": "2\n"})
    commit_all(repo, "app change")
    git(repo, "checkout", "-q", "main")
    build_file_tree(repo, {"infra/variables.yml": "v: 2\n"})
    commit_all(repo, "infra change")
    git(repo, "tag", "B")
    return repo


def test_commits_two_dot_diff_for_a_push(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--repo", str(history), "--commits", "A..main")
    assert (code, err) == (0, "")
    assert out == (
        "push refs/heads/main, 1 changed file (A..main, 1 commit)\n"
        "WORKFLOW                             RUNS   REASON\n"
        ".github/workflows/any.yml            yes    on.push has no branch, tag or path filters\n"
        ".github/workflows/trigger-infra.yml  yes    branch 'main' matched on.push.branches 'main'; "
        "'infra/variables.yml' matched on.push.paths 'infra/**'\n"
        "2 of 2 workflows would run\n"
    )


def test_commits_push_compares_trees_directly_but_pull_request_uses_the_merge_base(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two-dot: B and feature differ in both files, so a push diff names both.
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", "B..feature", "--json")
    assert json.loads(out)["changed"] == ["app/main.py", "infra/variables.yml"]
    # Three-dot for a pull request: only what feature changed since the merge base.
    _, out, _ = cli(capsys, "--repo", str(history), "--event", "pull_request", "--commits",
                    "main..feature", "--json")
    doc = json.loads(out)
    assert doc["changed"] == ["app/main.py"]
    assert doc["commit_count"] == 1


def test_commits_reads_workflows_from_the_pushed_commit(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An uncommitted edit of the working tree does not count: GitHub runs B's workflow files.
    build_file_tree(history, {".github/workflows/trigger-infra.yml": "on: pull_request\njobs: {}\n"})
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", "A..main", "--json")
    runs = {w["file"]: w["runs"] for w in json.loads(out)["workflows"]}
    assert runs[".github/workflows/trigger-infra.yml"] is True
    # Without --commits the working tree is what is explained.
    _, out, _ = cli(capsys, "--repo", str(history), "--changed", "infra/variables.yml", "--json")
    runs = {w["file"]: w["runs"] for w in json.loads(out)["workflows"]}
    assert runs[".github/workflows/trigger-infra.yml"] is False


def test_commits_a_rename_counts_both_paths(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(history, "mv", "infra/variables.yml", "app/variables.yml")
    commit_all(history, "move")
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", "B..HEAD", "--json")
    doc = json.loads(out)
    assert doc["changed"] == ["app/variables.yml", "infra/variables.yml"]
    assert doc["workflows"][1]["runs"] is True


def test_default_ref_is_the_current_branch(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(history, "checkout", "-q", "feature")
    _, out, _ = cli(capsys, "--repo", str(history), "--changed", "infra/variables.yml")
    assert out.splitlines()[0] == "push refs/heads/feature, 1 changed file"
    assert "branch 'feature' matched no pattern in on.push.branches" in out


def test_default_ref_follows_the_range(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A push of A..feature pushes the branch feature; a pull request main..feature targets main.
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", "A..feature", "--json")
    assert json.loads(out)["ref"] == "refs/heads/feature"
    _, out, _ = cli(capsys, "--repo", str(history), "--event", "pull_request", "--commits",
                    "main..feature", "--json")
    assert json.loads(out)["ref"] == "refs/heads/main"
    # A push of A..B where B names a tag is a tag push (GitHub skips path filters for it): the
    # trigger workflow, filtered to branch main, does not run, though B is main's tip.
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", "A..B", "--json")
    doc = json.loads(out)
    assert doc["ref"] == "refs/tags/B"
    assert [(w["file"], w["runs"], w["reason"]) for w in doc["workflows"]] == [
        (".github/workflows/any.yml", True, "on.push has no branch, tag or path filters"),
        (".github/workflows/trigger-infra.yml", False,
         "on.push has only branch filters (branches); a tag push does not run it")]
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", "A..refs/tags/B", "--json")
    assert json.loads(out)["ref"] == "refs/tags/B"
    # A sha names no branch or tag: the current branch (a pull request: main).
    git(history, "checkout", "-q", "feature")
    sha = git(history, "rev-parse", "B").strip()
    _, out, _ = cli(capsys, "--repo", str(history), "--commits", f"A..{sha}", "--json")
    assert json.loads(out)["ref"] == "refs/heads/feature"
    _, out, _ = cli(capsys, "--repo", str(history), "--event", "pull_request", "--json")
    assert json.loads(out)["ref"] == "refs/heads/main"
    # A pull request's base is a branch: a tag A names none.
    _, out, _ = cli(capsys, "--repo", str(history), "--event", "pull_request", "--commits",
                    "A..feature", "--json")
    assert json.loads(out)["ref"] == "refs/heads/main"


def test_only_the_first_300_files_of_the_git_diff_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "big", {".github/workflows/trigger-infra.yml": TRIGGER})
    git(repo, "tag", "A")
    # git lists paths sorted: the 300 app/ files come before infra/variables.yml.
    build_file_tree(repo, {f"app/f{i:03}.py": "x\n" for i in range(300)})
    build_file_tree(repo, {"infra/variables.yml": "v: 1\n"})
    commit_all(repo, "many files")
    code, out, _ = cli(capsys, "--repo", str(repo), "--commits", "A..HEAD", "--json")
    decision = json.loads(out)["workflows"][0]
    assert code == 0
    assert decision["runs"] is False
    assert decision["reason"] == (
        "no changed file matched on.push.paths (300 changed files; first: 'app/f000.py' matched "
        "no pattern); only the first 300 of 301 changed files count"
    )


def test_more_than_1000_commits_always_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "long", {".github/workflows/trigger-infra.yml": TRIGGER})
    git(repo, "tag", "A")
    stream = []
    for i in range(1001):  # fast-import: one process for 1,001 app-only commits
        data = f"{i}\n"
        stream.append(
            f"commit refs/heads/main\ncommitter T <t@e> {1767225600 + i} +0000\ndata 1\nx\n"
            + ("from refs/heads/main^0\n" if i == 0 else "")
            + f"M 100644 inline app/n.txt\ndata {len(data)}\n{data}\n"
        )
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input="".join(stream),
                   text=True, check=True)
    code, out, _ = cli(capsys, "--repo", str(repo), "--commits", "A..main", "--json")
    doc = json.loads(out)
    assert (code, doc["commit_count"], doc["changed"]) == (0, 1001, ["app/n.txt"])
    assert doc["workflows"][0]["runs"] is True
    assert doc["workflows"][0]["reason"] == (
        "branch 'main' matched on.push.branches 'main'; more than 1,000 commits pushed (1,001): "
        "GitHub always runs, on.push.paths is not evaluated"
    )
    _, out, _ = cli(capsys, "--repo", str(repo), "--commits", "main~1000..main", "--json")
    assert json.loads(out)["workflows"][0]["runs"] is False  # exactly 1,000: the diff decides


# ---- invalid workflows and bad input ----------------------------------------------------------


def test_invalid_workflow_is_reported_then_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "bad", {
        ".github/workflows/cpp.yml": "on:\n  push:\n    paths: ['apis/c++/**']\njobs: {}\n",
        ".github/workflows/broken.yml": "on: [push\n",
        ".github/workflows/ok.yml": "on: push\njobs: {}\n",
    })
    before = repo_state(repo)
    code, out, err = cli(capsys, "--repo", str(repo), "--changed", "apis/c++/x.h")
    assert code == 3
    lines = out.splitlines()
    assert lines[2].startswith(".github/workflows/broken.yml  ERROR  invalid workflow: the workflow "
                               "is not valid YAML: ")
    pad = " " * len(".github/workflows/broken.yml  ERROR  ")
    assert lines[3] == pad + "fix: fix the YAML syntax (GitHub refuses a workflow it cannot parse)"
    assert lines[4:] == [
        ".github/workflows/cpp.yml     ERROR  invalid workflow: on.push.paths: invalid filter "
        "pattern 'apis/c++/**' (character 8): '+' after '+' has no preceding character to repeat "
        "('+' means one or more of the preceding character); GitHub refuses a workflow with this "
        "pattern",
        pad + "fix: escape literal characters with '\\': write "
        "'apis/c\\+\\+/**' (in YAML single quotes)",
        ".github/workflows/ok.yml      yes    on.push has no branch, tag or path filters",
        "1 of 3 workflows would run",
    ]
    assert err == (
        "repo-migrate: error: 2 workflows GitHub would refuse (never run): "
        ".github/workflows/broken.yml, .github/workflows/cpp.yml\n"
        "  fix: .github/workflows/broken.yml: fix the YAML syntax (GitHub refuses a workflow it "
        "cannot parse); .github/workflows/cpp.yml: escape literal characters with '\\': write "
        "'apis/c\\+\\+/**' (in YAML single quotes)\n"
    )
    _, out, _ = cli(capsys, "--repo", str(repo), "--changed", "a", "--json")
    cpp = json.loads(out)["workflows"][1]
    assert (cpp["runs"], cpp["error"].startswith("on.push.paths: invalid filter pattern")) == (False, True)
    assert cpp["fix"] == "escape literal characters with '\\': write 'apis/c\\+\\+/**' (in YAML single quotes)"
    assert repo_state(repo) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--changed", "a", "--commits", "A..B"],
         "--changed and --commits both give the changed files\n"
         "  fix: give either --changed PATH (repeatable) or --commits A..B"),
        (["--ref", "main"],
         "ref 'main' is not a full push ref\n"
         "  fix: pass a full ref: refs/heads/<branch> or refs/tags/<tag> (e.g. refs/heads/main)"),
        (["--commits", "A...B"],
         "--commits 'A...B' is not a range A..B\n"
         "  fix: give two commits separated by two dots, e.g. --commits main~3..main"),
        (["--commits", "A"],
         "--commits 'A' is not a range A..B\n"
         "  fix: give two commits separated by two dots, e.g. --commits main~3..main"),
        (["--commits", "nope..HEAD"],
         "'nope' is not a commit in {repo}\n  fix: give a commit, branch or tag name"),
        (["--changed", "/etc/passwd"],
         "changed path '/etc/passwd' is not a repository-relative path\n"
         "  fix: give paths relative to the repository root with '/' (e.g. infra/variables.yml)"),
        (["--changed", "a/../b"],
         "changed path 'a/../b' is not a repository-relative path\n"
         "  fix: give paths relative to the repository root with '/' (e.g. infra/variables.yml)"),
    ],
)
def test_bad_input_is_refused_with_a_fix(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = repo_state(repo)
    code, out, err = cli(capsys, "--repo", str(repo), *args)
    assert (code, out) == (3, "")
    assert err == f"repo-migrate: error: {message.format(repo=repo)}\n"
    assert repo_state(repo) == before


def test_missing_repo_and_non_git_repo_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "--repo", str(tmp_path / "nope"))
    assert (code, err) == (
        3, f"repo-migrate: error: {tmp_path / 'nope'} is not a directory\n"
           "  fix: pass --repo with a repository's path\n")
    code, _, err = cli(capsys, "--repo", str(tmp_path), "--commits", "A..B")
    assert code == 3 and "is not a git working tree" in err


def test_unknown_event_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "--repo", str(repo), "--event", "schedule")
    assert code == 2
    assert "Invalid value for '--event'" in err


def test_directory_without_workflows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--repo", str(tmp_path), "--changed", "a", "--json")
    assert code == 0 and json.loads(out)["workflows"] == []
    _, out, _ = cli(capsys, "--repo", str(tmp_path))
    assert out == "push refs/heads/main, 0 changed files\nno workflow files in .github/workflows\n"


# ---- the post-condition API used by migrations -------------------------------------------------


def _region_workflow(paths: str) -> str:
    return f"on:\n  push:\n    branches: [main]\n    paths: [{paths}]\njobs: {{}}\n"


def test_trigger_routing_and_its_check(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "regions", {
        ".github/workflows/trigger-infra-eu-west.yml": _region_workflow("infra/eu-west-variables.yml"),
        ".github/workflows/trigger-infra-us-east.yml": _region_workflow("infra/us-east-variables.yml"),
        ".github/workflows/ci.yml": CI,  # not a trigger workflow: not counted
    })
    files = ["infra/eu-west-variables.yml", "infra/us-east-variables.yml", "app/main.py"]
    assert trigger_routing(repo, files) == {
        "infra/eu-west-variables.yml": [".github/workflows/trigger-infra-eu-west.yml"],
        "infra/us-east-variables.yml": [".github/workflows/trigger-infra-us-east.yml"],
        "app/main.py": [],
    }
    check_trigger_routing(repo, files[:2])
    # A region workflow widened to infra/** now also fires for the other region.
    build_file_tree(repo, {".github/workflows/trigger-infra-eu-west.yml": _region_workflow("'infra/**'")})
    with pytest.raises(VerificationFailed) as info:
        check_trigger_routing(repo, files)
    assert info.value.problem == (
        "infra changes no longer reach exactly one trigger workflow per variables file: "
        "a push to main changing infra/us-east-variables.yml dispatches it from 2 trigger workflows "
        "(.github/workflows/trigger-infra-eu-west.yml, .github/workflows/trigger-infra-us-east.yml), "
        "not exactly one; no trigger workflow dispatches app/main.py (no push, tag push or manual "
        "run sends it)"
    )
    build_file_tree(repo, {".github/workflows/trigger-infra-eu-west.yml": _region_workflow("'c++'")})
    with pytest.raises(VerificationFailed, match=r"trigger-infra-eu-west.yml is invalid: on.push.paths: "
                       r"invalid filter pattern 'c\+\+'"):
        check_trigger_routing(repo, files[1:2])

"""When does a workflow run? GitHub's trigger rules, as tables of (on, event) -> decision."""

from __future__ import annotations

from typing import Any

import pytest

from migrate.errors import Refused
from migrate.events import Decision, Event, decide
from migrate.workflows import load_workflow

INFRA = {"push": {"branches": ["main"], "paths": ["infra/**", "!infra/*.md"]}}


def push(ref: str = "refs/heads/main", *changed: str, commits: int = 1) -> Event:
    return Event("push", ref, tuple(changed), commits)


# (on, event, runs, reason, deciding filter, deciding pattern)
CASES: list[tuple[Any, Event, bool, str, str | None, str | None]] = [
    # The three forms of `on`, and null values.
    ("push", push(), True, "on.push has no branch, tag or path filters", None, None),
    (["push", "pull_request"], push(), True, "on.push has no branch, tag or path filters", None, None),
    ({"push": None}, push(), True, "on.push has no branch, tag or path filters", None, None),
    ({"push": {}}, push(), True, "on.push has no branch, tag or path filters", None, None),
    ({"push": {"types": ["x"]}}, push(), True, "on.push has no branch, tag or path filters", None, None),
    ("pull_request", push(), False, "push is not among its events (pull_request)", None, None),
    ({"workflow_dispatch": None, "schedule": [{"cron": "0 0 * * *"}]}, push(), False,
     "push is not among its events (workflow_dispatch, schedule)", None, None),
    ({"workflow_dispatch": None}, Event("workflow_dispatch"), True,
     "on.workflow_dispatch has no branch, tag or path filters", None, None),
    # Branch filters.
    ({"push": {"branches": ["main"]}}, push(), True,
     "branch 'main' matched on.push.branches 'main'", "on.push.branches", "main"),
    ({"push": {"branches": "main"}}, push(), True,  # a single string is one pattern
     "branch 'main' matched on.push.branches 'main'", "on.push.branches", "main"),
    ({"push": {"branches": ["main"]}}, push("refs/heads/dev"), False,
     "branch 'dev' matched no pattern in on.push.branches", "on.push.branches", None),
    ({"push": {"branches": ["*"]}}, push("refs/heads/feature/x"), False,
     "branch 'feature/x' matched no pattern in on.push.branches", "on.push.branches", None),
    ({"push": {"branches": ["releases/**", "!releases/**-alpha"]}},
     push("refs/heads/releases/10-alpha"), False,
     "branch 'releases/10-alpha' excluded by on.push.branches '!releases/**-alpha'",
     "on.push.branches", "!releases/**-alpha"),
    ({"push": {"branches-ignore": ["dependabot/**"]}}, push("refs/heads/dependabot/npm/x"), False,
     "branch 'dependabot/npm/x' ignored by on.push.branches-ignore 'dependabot/**'",
     "on.push.branches-ignore", "dependabot/**"),
    ({"push": {"branches-ignore": ["dependabot/**"]}}, push(), True,
     "branch 'main' matched no pattern in on.push.branches-ignore",
     "on.push.branches-ignore", None),
    # Only tags: a branch push does not run; only branches: a tag push does not run.
    ({"push": {"tags": ["infra-v*"]}}, push(), False,
     "on.push has only tag filters (tags); a branch push does not run it", "on.push.tags", None),
    ({"push": {"tags-ignore": ["x"]}}, push(), False,
     "on.push has only tag filters (tags-ignore); a branch push does not run it",
     "on.push.tags-ignore", None),
    ({"push": {"branches": ["main"]}}, push("refs/tags/infra-v1"), False,
     "on.push has only branch filters (branches); a tag push does not run it",
     "on.push.branches", None),
    ({"push": {"tags": ["infra-v*"]}}, push("refs/tags/infra-v1"), True,
     "tag 'infra-v1' matched on.push.tags 'infra-v*'", "on.push.tags", "infra-v*"),
    ({"push": {"tags": ["v[12].[0-9]+.[0-9]+"]}}, push("refs/tags/v3.0.0"), False,
     "tag 'v3.0.0' matched no pattern in on.push.tags", "on.push.tags", None),
    ({"push": {"tags-ignore": ["v1*"]}}, push("refs/tags/v1.0"), False,
     "tag 'v1.0' ignored by on.push.tags-ignore 'v1*'", "on.push.tags-ignore", "v1*"),
    ({"push": {"branches": ["main"], "tags": ["v*"]}}, push("refs/tags/v2"), True,
     "tag 'v2' matched on.push.tags 'v*'", "on.push.tags", "v*"),
    ({"push": {"paths": ["infra/**"]}}, push("refs/tags/v2"), True,  # paths alone: tags run
     "path filters are not evaluated for tag pushes (on.push.paths skipped)", None, None),
    # Path filters; AND with branches.
    (INFRA, push("refs/heads/main", "infra/variables.yml"), True,
     "branch 'main' matched on.push.branches 'main'; "
     "'infra/variables.yml' matched on.push.paths 'infra/**'", "on.push.paths", "infra/**"),
    (INFRA, push("refs/heads/main", "app/main.py"), False,
     "no changed file matched on.push.paths (1 changed file; first: 'app/main.py' matched no "
     "pattern)", "on.push.paths", None),
    (INFRA, push("refs/heads/main", "infra/README.md", "app/x"), False,
     "no changed file matched on.push.paths (2 changed files; first: 'infra/README.md' "
     "excluded by '!infra/*.md')", "on.push.paths", "!infra/*.md"),
    (INFRA, push("refs/heads/main", "app/x", "infra/README.md", "infra/eu-variables.yml"), True,
     "branch 'main' matched on.push.branches 'main'; "
     "'infra/eu-variables.yml' matched on.push.paths 'infra/**'", "on.push.paths", "infra/**"),
    (INFRA, push("refs/heads/dev", "infra/variables.yml"), False,
     "branch 'dev' matched no pattern in on.push.branches", "on.push.branches", None),
    (INFRA, push("refs/heads/main"), False,
     "no changed files: GitHub does not run a workflow with on.push.paths", "on.push.paths", None),
    (INFRA, push("refs/tags/infra-v1", "infra/variables.yml"), False,
     "on.push has only branch filters (branches); a tag push does not run it",
     "on.push.branches", None),
    ({"push": {"paths-ignore": ["docs/**", "**.md"]}}, push("refs/heads/x", "docs/a", "b.md"),
     False, "all 2 changed files ignored by on.push.paths-ignore (first: 'docs/a' by 'docs/**')",
     "on.push.paths-ignore", "docs/**"),
    ({"push": {"paths-ignore": ["docs/**"]}}, push("refs/heads/x", "docs/a", "src/b.py"), True,
     "'src/b.py' matched no pattern in on.push.paths-ignore", "on.push.paths-ignore", None),
    ({"push": {"paths-ignore": ["docs/**", "!docs/api/**"]}}, push("refs/heads/x", "docs/api/a"),
     True, "'docs/api/a' re-included by '!docs/api/**' in on.push.paths-ignore",
     "on.push.paths-ignore", "!docs/api/**"),
    # More than 1,000 commits: always runs (path filters not evaluated); branch filters still apply.
    (INFRA, push("refs/heads/main", "app/x", commits=1001), True,
     "branch 'main' matched on.push.branches 'main'; more than 1,000 commits pushed (1,001): "
     "GitHub always runs, on.push.paths is not evaluated", "on.push.paths", None),
    (INFRA, push("refs/heads/main", "app/x", commits=1000), False,
     "no changed file matched on.push.paths (1 changed file; first: 'app/x' matched no pattern)",
     "on.push.paths", None),
    (INFRA, push("refs/heads/dev", "app/x", commits=5000), False,
     "branch 'dev' matched no pattern in on.push.branches", "on.push.branches", None),
    # pull_request: branch filters apply to the base branch.
    ({"pull_request": {"branches": ["main"], "paths": ["infra/**"]}},
     Event("pull_request", "refs/heads/main", ("infra/variables.yml",)), True,
     "base branch 'main' matched on.pull_request.branches 'main'; "
     "'infra/variables.yml' matched on.pull_request.paths 'infra/**'",
     "on.pull_request.paths", "infra/**"),
    ({"pull_request": {"branches": ["main"]}}, Event("pull_request", "refs/heads/dev"), False,
     "base branch 'dev' matched no pattern in on.pull_request.branches",
     "on.pull_request.branches", None),
    ({"pull_request": {"paths": ["infra/**"]}},
     Event("pull_request", "refs/heads/main", ("a",), commit_count=5000), False,
     "no changed file matched on.pull_request.paths (1 changed file; first: 'a' matched no "
     "pattern)", "on.pull_request.paths", None),
]


@pytest.mark.parametrize(("on", "event", "runs", "reason", "filter_", "pattern"), CASES)
def test_decide(
    on: Any, event: Event, runs: bool, reason: str, filter_: str | None, pattern: str | None
) -> None:
    assert decide(on, event) == Decision(runs, reason, filter_, pattern)


def test_only_the_first_300_changed_files_count() -> None:
    filler = tuple(f"app/f{i:03}.py" for i in range(300))
    on = {"push": {"paths": ["infra/**"]}}
    late = decide(on, push("refs/heads/main", *filler, "infra/variables.yml"))
    assert late == Decision(
        False,
        "no changed file matched on.push.paths (300 changed files; first: 'app/f000.py' matched "
        "no pattern); only the first 300 of 301 changed files count",
        "on.push.paths",
        None,
    )
    in_time = decide(on, push("refs/heads/main", *filler[:299], "infra/variables.yml"))
    assert in_time.runs is True


def test_paths_ignore_with_more_than_300_files_decides_on_the_first_300() -> None:
    docs = tuple(f"docs/{i:03}.md" for i in range(300))
    on = {"push": {"paths-ignore": ["docs/**"]}}
    decision = decide(on, push("refs/heads/main", *docs, "src/app.py"))
    assert decision.runs is False
    assert decision.reason.endswith("; only the first 300 of 301 changed files count")


# Workflows GitHub refuses: they never run, and the decision carries the error and its fix.
INVALID: list[tuple[Any, str, str]] = [
    ({"push": {"paths": ["apis/c++/**"]}},
     "on.push.paths: invalid filter pattern 'apis/c++/**'", r"'apis/c\+\+/**'"),
    ({"push": None, "pull_request": {"branches": ["+x"]}},  # another event's filter counts too
     "on.pull_request.branches: invalid filter pattern '+x'", r"'\+x'"),
    ({"push": {"paths": ["a"], "paths-ignore": ["b"]}},
     "on.push has both paths and paths-ignore, which GitHub refuses", "keep one"),
    ({"push": {"branches": ["a"], "branches-ignore": ["b"]}},
     "on.push has both branches and branches-ignore", "keep one"),
    ({"push": {"tags": ["a"], "tags-ignore": ["b"]}}, "on.push has both tags and tags-ignore", "keep one"),
    ({"push": {"paths": []}}, "on.push.paths must be a pattern or a non-empty list", "list"),
    ({"push": {"paths": {"a": 1}}}, "on.push.paths must be a pattern or a non-empty list", "list"),
    ({"push": {"paths": [3]}}, "on.push.paths: filter pattern 3 is a int, not a string", "quote"),
    ({"push": ["main"]}, "on.push must be empty or a mapping, not a list", "mapping"),
    (None, "the workflow has no 'on' key", "give 'on'"),
    (3, "'on' is a int", "give 'on'"),
    ([1], "'on' lists something that is not an event name", "event names"),
]


@pytest.mark.parametrize(("on", "problem", "fix"), INVALID)
def test_invalid_workflow_never_runs_and_says_why(on: Any, problem: str, fix: str) -> None:
    decision = decide(on, push("refs/heads/main", "apis/c++/x"))
    assert decision.runs is False
    assert decision.error is not None and decision.error.startswith(problem)
    assert decision.reason == f"invalid workflow: {decision.error}"
    assert decision.fix is not None and fix in decision.fix


@pytest.mark.parametrize(
    ("event", "fix"),
    [
        (Event("push", "main"), "refs/heads/<branch> or refs/tags/<tag>"),
        (Event("push", "refs/pull/1/merge"), "refs/heads/<branch> or refs/tags/<tag>"),
        (Event("pull_request", "refs/tags/v1"), "refs/heads/<base>"),
        (Event("push", "refs/heads/"), "refs/heads/<branch> or refs/tags/<tag>"),
        (Event("pull_request", "refs/heads/"), "refs/heads/<base>"),
    ],
)
def test_short_or_foreign_ref_is_refused(event: Event, fix: str) -> None:
    with pytest.raises(Refused) as info:
        decide("push", event)
    assert info.value.problem == f"ref {event.ref!r} is not a full {event.name} ref"
    assert info.value.fix is not None and fix in info.value.fix


# `on` parsed from text: PyYAML's default loader would read the bare key as True.
ON_TEXTS = [
    ("on: push\njobs: {}\n", "push"),
    ("on: [push, pull_request]\n", ["push", "pull_request"]),
    ("on:\n  push:\n  workflow_dispatch:\n", {"push": None, "workflow_dispatch": None}),
    ("'on':\n  push:\n    branches: [main]\n", {"push": {"branches": ["main"]}}),
    ("\ufeff---\r\non:\r\n  push: {}\r\n", {"push": {}}),
]


@pytest.mark.parametrize(("text", "on"), ON_TEXTS)
def test_load_workflow_keeps_on_a_string(text: str, on: Any) -> None:
    doc = load_workflow(text.lstrip("\ufeff"))
    assert doc["on"] == on
    assert True not in doc


def test_load_workflow_reads_yes_no_off_as_strings_and_true_false_as_bools() -> None:
    doc = load_workflow("a: yes\nb: no\nc: off\nd: true\ne: False\nf: on\ng: 2024-01-01\n")
    assert doc == {
        "a": "yes", "b": "no", "c": "off", "d": True, "e": False, "f": "on", "g": "2024-01-01"
    }


def test_load_workflow_refuses_broken_yaml_with_a_fix() -> None:
    with pytest.raises(Refused) as info:
        load_workflow("on: [push\n")
    assert info.value.problem.startswith("the workflow is not valid YAML: ")
    assert info.value.fix == "fix the YAML syntax (GitHub refuses a workflow it cannot parse)"


# The documentation's trigger examples ("Workflow syntax": on.push.<branches|tags>,
# on.pull_request.branches, on.push.<paths|paths-ignore>), as (on, event, runs?).
DOC_BRANCHES_TAGS = {"push": {"branches": ["main", "mona/octocat", "releases/**"], "tags": ["v2", "v1.*"]}}
DOC_IGNORE = {"push": {"branches-ignore": ["mona/octocat", "releases/**-alpha"], "tags-ignore": ["v2", "v1.*"]}}
DOC_INCLUDE_EXCLUDE = {"push": {"branches": ["releases/**", "!releases/**-alpha"]}}
DOC_PR = {"pull_request": {"branches": ["releases/**", "!releases/**-alpha"]}}
DOC_JS = {"push": {"paths": ["**.js"]}}
DOC_DOCS_IGNORED = {"push": {"paths-ignore": ["docs/**"]}}
DOC_SUB_PROJECT = {"push": {"paths": ["sub-project/**", "!sub-project/docs/**"]}}

DOC_TRIGGERS: list[tuple[Any, Event, bool]] = [
    (DOC_BRANCHES_TAGS, push("refs/heads/main"), True),
    (DOC_BRANCHES_TAGS, push("refs/heads/mona/octocat"), True),
    (DOC_BRANCHES_TAGS, push("refs/heads/releases/10"), True),
    (DOC_BRANCHES_TAGS, push("refs/tags/v2"), True),
    (DOC_BRANCHES_TAGS, push("refs/tags/v1.9.1"), True),
    (DOC_BRANCHES_TAGS, push("refs/heads/dev"), False),
    (DOC_BRANCHES_TAGS, push("refs/tags/v3"), False),
    (DOC_IGNORE, push("refs/heads/mona/octocat"), False),
    (DOC_IGNORE, push("refs/heads/releases/beta/3-alpha"), False),
    (DOC_IGNORE, push("refs/tags/v2"), False),
    (DOC_IGNORE, push("refs/tags/v1.9"), False),
    (DOC_IGNORE, push("refs/heads/main"), True),
    (DOC_IGNORE, push("refs/tags/v3"), True),
    (DOC_INCLUDE_EXCLUDE, push("refs/heads/releases/10"), True),
    (DOC_INCLUDE_EXCLUDE, push("refs/heads/releases/beta/mona"), True),
    (DOC_INCLUDE_EXCLUDE, push("refs/heads/releases/10-alpha"), False),
    (DOC_INCLUDE_EXCLUDE, push("refs/heads/releases/beta/3-alpha"), False),
    (DOC_PR, Event("pull_request", "refs/heads/releases/10"), True),
    (DOC_PR, Event("pull_request", "refs/heads/releases/beta/mona"), True),
    (DOC_PR, Event("pull_request", "refs/heads/releases/10-alpha"), False),
    (DOC_PR, Event("pull_request", "refs/heads/releases/beta/3-alpha"), False),
    (DOC_JS, push("refs/heads/main", "src/app.js"), True),
    (DOC_JS, push("refs/heads/main", "src/app.ts"), False),
    (DOC_DOCS_IGNORED, push("refs/heads/main", "docs/a.md"), False),
    (DOC_DOCS_IGNORED, push("refs/heads/main", "docs/a.md", "README.md"), True),
    (DOC_SUB_PROJECT, push("refs/heads/main", "sub-project/index.js"), True),
    (DOC_SUB_PROJECT, push("refs/heads/main", "sub-project/src/index.js"), True),
    (DOC_SUB_PROJECT, push("refs/heads/main", "sub-project/docs/readme.md"), False),
]


@pytest.mark.parametrize(("on", "event", "runs"), DOC_TRIGGERS)
def test_documentation_trigger_example(on: Any, event: Event, runs: bool) -> None:
    assert decide(on, event).runs is runs


def test_only_negated_patterns_never_include_and_say_so() -> None:
    decision = decide({"push": {"paths": ["!docs/**"]}}, push("refs/heads/main", "src/a.py"))
    assert decision == Decision(
        False,
        "no changed file matched on.push.paths (1 changed file; first: 'src/a.py' matched no "
        "pattern); it has only '!' patterns, so it never includes anything (GitHub requires a "
        "positive pattern; use the -ignore filter to only exclude)",
        "on.push.paths",
        None,
    )
    branch = decide({"push": {"branches": ["!main"]}}, push("refs/heads/dev"))
    assert branch.runs is False and branch.reason.startswith(
        "branch 'dev' matched no pattern in on.push.branches; it has only '!' patterns")

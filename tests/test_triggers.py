"""set-trigger's `on:` edits: golden (input, expected) pairs as exact text, and inputs that must
come back identical (pyupgrade-style test_fix / test_noop tables)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from migrate.errors import InvalidPattern, Refused, UnsafeYamlEdit
from migrate.trigger_spec import make_spec
from migrate.triggers import set_triggers

TAG = make_spec(["tag"], tags=["v*"])
PATH = make_spec(["path"], paths=["infra/**"])
MANUAL = make_spec(["manual"], environments=["dev", "prod"])
ALL = make_spec(["branch", "tag", "manual"], branches=["main"], tags=["v*"])

WD_DEV = """\
  workflow_dispatch:
    inputs:
      environment:
        description: Environment at the provider to plan and apply
        type: choice
        required: true
        default: dev
        options:
          - dev
          - prod
"""
WD_STAGING = WD_DEV.replace("default: dev", "default: staging").replace(
    "- dev\n          - prod", "- staging\n          - production"
)

FIX = [
    # `on` as a string: converted to a mapping, the event kept.
    ("on: pull_request\njobs: {}\n", TAG,
     "on:\n  pull_request:\n  push:\n    tags:\n      - v*\njobs: {}\n"),
    ("on: push\njobs: {}\n", MANUAL, "on:\n" + WD_DEV + "jobs: {}\n"),
    # A flow list under "on" (quoted key), with a comment: names and the comment stay.
    ('"on": [push, pull_request]  # events\njobs: {}\n', TAG,
     '"on":  # events\n  push:\n    tags:\n      - v*\n  pull_request:\njobs: {}\n'),
    # A block list under 'on'.
    ("'on':\n  - push\n  - pull_request\njobs: {}\n", PATH,
     "'on':\n  push:\n    branches:\n      - \"**\"\n    paths:\n      - infra/**\n  pull_request:\n"
     "jobs: {}\n"),
    # A flow mapping: every other event keeps its value text.
    ("on: {push: {branches: [main]}, pull_request: {types: [opened]}}\njobs: {}\n", TAG,
     "on:\n  push:\n    tags:\n      - v*\n  pull_request: {types: [opened]}\njobs: {}\n"),
    # An empty `on:`.
    # The path kind lists every branch too (the template suite's meaning: no tag push runs it).
    ("on:\njobs: {}\n", PATH,
     "on:\n  push:\n    branches:\n      - \"**\"\n    paths:\n      - infra/**\njobs: {}\n"),
    # ... and keeps the tags of the tag kind beside them.
    ("on:\njobs: {}\n", make_spec(["path", "tag"], paths=["infra/**"], tags=["v*"]),
     "on:\n  push:\n    branches:\n      - \"**\"\n    tags:\n      - v*\n    paths:\n"
     "      - infra/**\njobs: {}\n"),
    # Events with null values; the comment on `push:` stays on its line.
    ("on:\n  push: # every push\n  pull_request:\n  workflow_dispatch:\njobs: {}\n", TAG,
     "on:\n  push: # every push\n    tags:\n      - v*\n  pull_request:\njobs: {}\n"),
    ("on:\n  push:\n  pull_request:\njobs: {}\n", ALL,
     "on:\n  push:\n    branches:\n      - main\n    tags:\n      - v*\n  pull_request:\n"
     + WD_STAGING + "jobs: {}\n"),
    # Four-space indentation and unindented lists are followed; other filters of push go.
    ("on:\n    push:\n        branches:\n        - main\n        paths-ignore: [docs/**]\n"
     "    schedule:\n        - cron: '0 0 * * *'\njobs: {}\n", PATH,
     "on:\n    push:\n        branches:\n        - \"**\"\n        paths:\n        - infra/**\n"
     "    schedule:\n        - cron: '0 0 * * *'\njobs: {}\n"),
    # Flow filter lists with padding: new lists look the same, quotes follow the neighbours.
    ("on:\n  push:\n    branches: [ main ]\n    tags: [ 'v1.*' ]\n  pull_request:\n"
     "    branches: [ main ]\n", TAG,
     "on:\n  push:\n    tags: [ 'v*' ]\n  pull_request:\n    branches: [ main ]\n"),
    ("on:\n  push:\n    branches: [ main ]\n  pull_request:\n    branches: [ main ]\n", PATH,
     "on:\n  push:\n    branches: [ \"**\" ]\n    paths: [ infra/** ]\n  pull_request:\n"
     "    branches: [ main ]\n"),
    # Comments inside push stay, also the one above a removed filter: only the nodes replaced go.
    ("on:\n  push:\n    # release branches\n    branches:\n      - main  # default\n"
     "    # semver tags\n    tags: ['v1']\n", make_spec(["branch"], branches=["main", "rel/*"]),
     "on:\n  push:\n    # release branches\n    branches:\n      - main  # default\n"
     "      - rel/*\n    # semver tags\n"),
    # workflow_dispatch with its own inputs: they stay, environment is added.
    ("on:\n  workflow_dispatch:\n    inputs:\n      name:\n        description: who\n", MANUAL,
     "on:\n  workflow_dispatch:\n    inputs:\n      name:\n        description: who\n"
     "      environment:\n        description: Environment at the provider to plan and apply\n"
     "        type: choice\n        required: true\n        default: dev\n        options:\n"
     "          - dev\n          - prod\n"),
    # An environment input with stale options is replaced, the key line stays.
    ("on:\n  workflow_dispatch:\n    inputs:\n      environment: # which\n        type: choice\n"
     "        options: [qa]\njobs: {}\n", MANUAL, "on:\n" + WD_DEV.replace(
         "environment:\n", "environment: # which\n") + "jobs: {}\n"),
    # Removing workflow_dispatch keeps the commented-out events after it.
    ("on:\n  workflow_dispatch:\n  # schedule:\n  # - cron: '1 2 * * *'\n\njobs: {}\n", TAG,
     "on:\n  push:\n    tags:\n      - v*\n  # schedule:\n  # - cron: '1 2 * * *'\n\njobs: {}\n"),
    # Odd indentation: three spaces, events at column 1.
    ("on:\n pull_request:\n   branches:\n   - main\n", TAG,
     "on:\n pull_request:\n   branches:\n   - main\n push:\n   tags:\n   - v*\n"),
]


@pytest.mark.parametrize(("text", "spec", "expected"), FIX)
def test_fix(text, spec, expected):
    assert set_triggers(text, spec) == expected
    assert set_triggers(expected, spec) == expected  # at rest: the same call changes nothing


def test_crlf_bom_trailing_spaces_and_no_final_newline_survive():
    text = (
        "\ufeff---\r\n# keep me  \r\nname: x   \r\non:\r\n  push:\r\n    branches: [ main ]\r\n"
        "  pull_request:   \r\njobs:\r\n  a:\r\n    runs-on: ubuntu-latest"
    )
    expected = (
        "\ufeff---\r\n# keep me  \r\nname: x   \r\non:\r\n  push:\r\n    tags: [ v* ]\r\n"
        "  pull_request:   \r\njobs:\r\n  a:\r\n    runs-on: ubuntu-latest"
    )
    assert set_triggers(text, TAG) == expected
    out = set_triggers(text, ALL)
    assert out.startswith("\ufeff---\r\n") and not out.endswith("\n")
    assert "\n" not in out.replace("\r\n", "")
    assert out.endswith("  pull_request:   \r\n" + WD_STAGING.replace("\n", "\r\n")
                        + "jobs:\r\n  a:\r\n    runs-on: ubuntu-latest")


def test_on_as_last_key_without_final_newline():
    assert set_triggers("name: x\non: [pull_request]", TAG) == (
        "name: x\non:\n  pull_request:\n  push:\n    tags:\n      - v*"
    )
    assert set_triggers("on:\n  push:\n    branches: [main]", PATH) == (
        "on:\n  push:\n    branches: [\"**\"]\n    paths: [infra/**]"
    )


NOOP = [
    ("on:\n  push:\n    tags:\n      - v*\n", TAG),
    ("on:\n  push:\n    tags: [ 'v*' ]  # releases\n  pull_request:\n", TAG),
    ("on:\n  push:\n    tags: v*\n", TAG),
    ("'on':\n  push:\n    branches:\n    - '**'\n    paths:\n    - \"infra/**\"\n  schedule:\n  - cron: '0 0 * * *'\n", PATH),
    ("\ufeffon:\r\n  push:\r\n    branches: '**'\r\n    paths: [infra/**]\r\n", PATH),
    # A generated trigger workflow's path + tag kinds.
    ("on:\n  push:\n    branches:\n      - \"**\"\n    tags:\n      - v*\n    paths:\n      - infra/**\n",
     make_spec(["tag", "path"], paths=["infra/**"], tags=["v*"])),
    ("on:\n" + WD_DEV, MANUAL),
    ("on:\n  workflow_dispatch:\n    inputs:\n      environment:\n        type: choice\n"
     "        options: [dev, prod]\n", MANUAL),
    ("on:\n  push:\n    branches: [main]\n    tags: [v*]\n" + WD_STAGING, ALL),
]


@pytest.mark.parametrize(("text", "spec"), NOOP)
def test_noop(text, spec):
    assert set_triggers(text, spec) is text or set_triggers(text, spec) == text


@pytest.mark.parametrize(
    "text",
    [
        "name: not a workflow\n",
        "on: [push]\non: [pull_request]\n",
        "on: &e\n  push:\njobs:\n  x: *e\n",
        "on:\n  push: &p {branches: [main]}\n",
        "on: !!map {push: {}}\n",
        "a: 1\n---\non: push\n",
        "on:\n  push:\n    branches: [main, # the default\n      dev]\n",
        "on: [push\n",
        "{on: push, jobs: {}}\n",
        "on: {pull_request: {branches: [main],\n  types: [opened]}}\n",
    ],
)
def test_refused_and_never_mangled(text):
    with pytest.raises(UnsafeYamlEdit) as exc:
        set_triggers(text, make_spec(["branch"], branches=["x"]))
    assert exc.value.fix


@pytest.mark.parametrize(
    ("kinds", "options", "message"),
    [
        ([], {}, "no trigger kind"),
        (["weekly"], {}, "unknown trigger kind 'weekly'"),
        (["tag"], {}, "--on tag needs at least one --tags GLOB"),
        (["path"], {"paths": ["x"], "tags": ["v*"]}, "--tags was given but --on tag was not"),
    ],
)
def test_bad_options_are_refused(kinds, options, message):
    with pytest.raises(Refused) as exc:
        make_spec(kinds, **options)
    assert message in exc.value.problem and exc.value.fix


def test_invalid_glob_is_refused_with_the_option_named():
    with pytest.raises(InvalidPattern) as exc:
        make_spec(["path"], paths=["infra/**", "apis/c++/**"])
    assert exc.value.problem.startswith("--paths 'apis/c++/**'")
    assert "c\\+\\+" in exc.value.fix


def test_result_is_what_github_reads():
    out = set_triggers("on: [push, pull_request]\njobs: {}\n", ALL)
    on = yaml.safe_load(out)[True]  # PyYAML reads a bare `on` as True; GitHub as "on"
    assert on["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert on["pull_request"] is None
    assert on["workflow_dispatch"]["inputs"]["environment"]["options"] == ["staging", "production"]


@pytest.mark.parametrize(
    ("spec", "runs", "skips"),
    [
        (TAG, [("refs/tags/v1.2", ())], [("refs/heads/main", ("infra/a.yml",))]),
        (PATH, [("refs/heads/dev", ("infra/a.yml",))], [("refs/heads/dev", ("app/a.py",))]),
        (make_spec(["branch", "path"], branches=["main"], paths=["infra/**"]),
         [("refs/heads/main", ("infra/a.yml",))],
         [("refs/heads/dev", ("infra/a.yml",)), ("refs/heads/main", ("app/a.py",)),
          ("refs/tags/v1", ())]),
    ],
)
def test_github_runs_the_result_as_asked(spec, runs, skips):
    """GitHub's trigger rules (migrate.events) applied to the edited workflow."""
    from migrate.events import Event, decide
    from migrate.workflows import load_workflow

    text = "on:\n  push:\n    branches: [main]\n    paths-ignore: [docs/**]\n  pull_request:\njobs: {}\n"
    on = load_workflow(set_triggers(text, spec))["on"]
    for ref, changed in runs:
        assert decide(on, Event("push", ref, changed)).runs, (ref, changed)
    for ref, changed in skips:
        assert not decide(on, Event("push", ref, changed)).runs, (ref, changed)


GOLDEN = Path(__file__).resolve().parent / "golden" / "set_trigger"
GOLDEN_SPECS = {
    "tag-manual": make_spec(["tag", "manual"], tags=["v*"], environments=["dev", "prod"]),
    "path": make_spec(["path"], paths=["infra/**"]),
    "branch-path": make_spec(["branch", "path"], branches=["main"],
                             paths=["infra/**", "!infra/README.md"]),
}
GOLDEN_INPUTS = sorted(p.name[: -len(".in.yml")] for p in GOLDEN.glob("*.in.yml"))


@pytest.mark.parametrize("spec_name", sorted(GOLDEN_SPECS))
@pytest.mark.parametrize("case", GOLDEN_INPUTS)
def test_golden_files(case: str, spec_name: str):
    """tests/golden/set_trigger/<case>.in.yml -> <case>.<spec>.out.yml, exact bytes.
    UPDATE_GOLDEN=1 rewrites the expected files (review the diff before committing)."""
    spec = GOLDEN_SPECS[spec_name]
    source = (GOLDEN / f"{case}.in.yml").read_bytes()
    out = set_triggers(source.decode("utf-8"), spec, case).encode("utf-8")
    expected = GOLDEN / f"{case}.{spec_name}.out.yml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_bytes(out)
    assert out == expected.read_bytes()
    assert set_triggers(out.decode("utf-8"), spec, case).encode("utf-8") == out

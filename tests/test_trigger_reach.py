"""What each trigger workflow dispatches, for the event of each trigger kind (migrate.trigger_reach),
and the routing problems that follow (migrate.routing.routing_problems): pure, on workflow texts."""

from __future__ import annotations

import json

import pytest

from migrate.events import Event
from migrate.routing import routing_problems
from migrate.trigger_reach import example_name, reached
from migrate.workflows import Workflow, parse_workflow

US, EU = "infra/us-variables.yml", "infra/eu-variables.yml"
VARIABLES = [EU, US]


def suite_trigger(on: str, *targets: tuple[list[str], list[str]]) -> str:
    """A trigger workflow shaped like the suite's: *on*, and a script step with TARGETS."""
    listed = ",\n".join("              " + json.dumps({"target": "t", "watch": w, "vars": v})
                        for w, v in targets)
    return (f"on:\n{on}jobs:\n  validate:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: echo\n        env:\n          TARGETS: |\n            [\n{listed}\n"
            "            ]\n")


def workflows(**files: str) -> list[Workflow]:
    return [parse_workflow(f".github/workflows/{name}.yml", text.encode())
            for name, text in files.items()]


@pytest.mark.parametrize(("pattern", "fill", "name"), [
    ("main", "x", "main"), ("release/**", "x", "release/x"), ("v[12].[0-9]+", "x", "v1.0"),
    ("**", "x", "x"), ("v*", "1", "v1"), ("\\*x", "x", "*x"), ("a?b", "x", "ab"),
    ("**/x", "x", "x"), ("!main", "x", None), ("?x", "x", None),
])
def test_example_name_is_a_name_the_pattern_matches(pattern: str, fill: str, name: str | None) -> None:
    assert example_name(pattern, fill) == name


TAG_ON = "  push:\n    tags: ['v*']\n"
MANUAL_ON = "  workflow_dispatch:\n"
BRANCH_ON = "  push:\n    branches: [main]\n"
PATH_ON_US = "  push:\n    branches: ['**']\n    paths: [infra/us-variables.yml]\n"


def test_a_suite_trigger_sends_its_targets_files_for_an_event_that_changes_none() -> None:
    (us,) = workflows(**{"trigger-infra-us": suite_trigger(TAG_ON + MANUAL_ON, ([US], [US]))})
    assert reached(us, Event("push", "refs/tags/v1"), VARIABLES) == {US}
    assert reached(us, Event("workflow_dispatch"), VARIABLES) == {US}
    assert reached(us, Event("push", "refs/heads/main", (EU,)), VARIABLES) == set()  # not run


def test_a_branch_push_sends_only_the_changed_files_a_target_watches() -> None:
    (both,) = workflows(**{"trigger-infra": suite_trigger(BRANCH_ON, ([US], [US]), ([EU], [EU]))})
    assert reached(both, Event("push", "refs/heads/main", (US,)), VARIABLES) == {US}
    # A push changing nothing under infra/ sends every target (the script's "branch" trigger).
    assert reached(both, Event("push", "refs/heads/main", ("app/x.py",)), VARIABLES) == {US, EU}
    assert reached(both, Event("push", "refs/heads/main"), VARIABLES) == {US, EU}


def test_a_hand_written_trigger_sends_what_its_jobs_name_else_what_it_filters_else_unknown() -> None:
    named, filtered, silent = workflows(
        named="on: push\njobs:\n  d:\n    steps:\n      - run: ./dispatch.sh infra/us-variables.yml\n",
        filtered="on:\n  push:\n    paths: ['infra/eu-*']\n",
        silent="on: workflow_dispatch\n")
    assert reached(named, Event("push", "refs/tags/v1"), VARIABLES) == {US}
    assert reached(filtered, Event("push", "refs/tags/v1"), VARIABLES) == {EU}
    assert reached(silent, Event("workflow_dispatch"), VARIABLES) is None


@pytest.mark.parametrize(("files", "problems"), [
    # One region each, whatever the kinds: sound.
    ({"trigger-infra-us": suite_trigger(PATH_ON_US + "    tags: ['v*']\n" + MANUAL_ON,
                                        ([US], [US])),
      "trigger-infra-eu": suite_trigger(TAG_ON + MANUAL_ON, ([EU], [EU]))}, []),
    # Two tag-kind triggers sending the same file: a tag push applies it twice.
    ({"trigger-infra-us": suite_trigger(TAG_ON, ([US], [US])),
      "trigger-infra-eu": suite_trigger(TAG_ON, ([EU], [EU, US]))},
     ["a push of tag v1 dispatches infra/us-variables.yml from 2 trigger workflows "
      "(.github/workflows/trigger-infra-eu.yml, .github/workflows/trigger-infra-us.yml), not "
      "exactly one"]),
    # The same with manual runs.
    ({"trigger-infra-us": suite_trigger(MANUAL_ON, ([US], [US])),
      "trigger-infra-eu": suite_trigger(MANUAL_ON, ([EU, US], [EU, US]))},
     ["a manual run (workflow_dispatch) of the trigger workflows dispatches infra/us-variables.yml "
      "from 2 trigger workflows (.github/workflows/trigger-infra-eu.yml, "
      ".github/workflows/trigger-infra-us.yml), not exactly one"]),
    # Branch pushes: each region's trigger runs for every push to main; changing nothing under
    # infra/ sends every target, so two triggers listing one file send it twice.
    ({"trigger-infra-us": suite_trigger(BRANCH_ON, ([US], [US])),
      "trigger-infra-eu": suite_trigger(BRANCH_ON, ([EU], [EU, US]))},
     ["a push to main changing no file under infra/ dispatches infra/us-variables.yml from 2 "
      "trigger workflows (.github/workflows/trigger-infra-eu.yml, "
      ".github/workflows/trigger-infra-us.yml), not exactly one"]),
    # A file no event sends.
    ({"trigger-infra-us": suite_trigger(TAG_ON, ([US], [US]))},
     ["no trigger workflow dispatches infra/eu-variables.yml (no push, tag push or manual run "
      "sends it)"]),
    # A hand-written trigger that names no file counts as reaching, never as sending twice.
    ({"trigger-infra-us": suite_trigger(MANUAL_ON, ([US], [US])),
      "trigger-infra-any": "on: workflow_dispatch\n"}, []),
])
def test_routing_problems_for_every_kind(files: dict[str, str], problems: list[str]) -> None:
    found = routing_problems(sorted(workflows(**files), key=lambda w: w.file), VARIABLES,
                             "refs/heads/main")
    assert [p.text for p in found] == problems

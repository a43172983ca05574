from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from migrate import output as show
from migrate.plan import (
    AnswersChange,
    FileDelete,
    FileMove,
    FileWrite,
    HistoryStep,
    Note,
    Plan,
    default_branch,
)


def make_plan(**kw: object) -> Plan:
    base = dict(command="demo", repo=Path("/r"), branch="repo-migrate/demo")
    base.update(kw)
    return Plan(**base)  # type: ignore[arg-type]


def test_plan_records_are_immutable() -> None:
    plan = make_plan(changes=(FileWrite("a.txt", None, b"x"),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.branch = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.changes[0].new = b"y"  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../x", "a/../../x", ".git/config", "a\\b"])
def test_unsafe_paths_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        FileWrite(bad, None, b"")


def test_empty_plan_and_branch_name() -> None:
    assert make_plan().is_empty
    assert not make_plan(history=(HistoryStep("x"),)).is_empty
    assert not make_plan(changes=(FileDelete("a", b""),)).is_empty
    assert default_branch("set-trigger") == "repo-migrate/set-trigger"
    assert default_branch("add-region", "eu-west") == "repo-migrate/add-region-eu-west"
    assert make_plan().commit_message == "repo-migrate demo"


def test_dry_run_text_shows_diff_moves_history_notes() -> None:
    plan = make_plan(
        changes=(
            FileWrite("a.yml", b"x: 1\ny: 2\n", b"x: 1\ny: 3\n"),
            FileMove("app/src", "src"),
            FileDelete("gone.txt", b"bye\n"),
            FileWrite("new.txt", None, b"hi"),
        ),
        history=(HistoryStep("keep history of infra/"),),
        answers=(AnswersChange("pattern", "monorepo", "separate"),),
        notes=(Note("state_key unchanged: acme/prod", "provider"), Note("review the branch")),
    )
    text = show.render_text(plan)
    assert text == (
        "Plan of repo-migrate demo: /r on new branch repo-migrate/demo\n"
        "  4 file changes, 1 history step\n"
        "History:\n"
        "  - keep history of infra/\n"
        "Changes:\n"
        "  edit    a.yml\n"
        "  move    app/src -> src\n"
        "  delete  gone.txt\n"
        "  create  new.txt\n"
        "Copier answers:\n"
        "  .copier-answers.yml: pattern: 'monorepo' -> 'separate'\n"
        "Diffs:\n"
        "--- a/a.yml\n+++ b/a.yml\n@@ -1,2 +1,2 @@\n x: 1\n-y: 2\n+y: 3\n"
        "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hi\n\\ No newline at end of file\n"
        "For the provider:\n"
        "  - state_key unchanged: acme/prod\n"
        "Next steps:\n"
        "  - review the branch\n"
        "\n"
        "Dry run: nothing was changed.\n"
    )


def test_crlf_and_binary_are_visible_in_diffs() -> None:
    diff = show.unified_diff("w.yml", b"a: 1\r\n", b"a: 2\r\n")
    assert "-a: 1\u240d\n+a: 2\u240d\n" in diff
    assert "CRLF" in diff
    assert show.unified_diff("x.bin", b"\0\1", b"\0\2") == "Binary file x.bin differs\n"
    assert "\\xff" in show.unified_diff("b.txt", None, b"\xff\n")


def test_empty_plan_says_up_to_date() -> None:
    assert "already up to date" in show.render_text(make_plan())


def test_json_shape() -> None:
    plan = make_plan(changes=(FileWrite("a", b"1\n", b"2\n"),), notes=(Note("n", "provider"),))
    data = json.loads(show.dumps(plan, "planned"))
    assert data["command"] == "demo"
    assert data["status"] == "planned"
    assert data["repo"] == "/r"
    assert data["branch"] == "repo-migrate/demo"
    assert data["changes"][0]["kind"] == "edit"
    assert data["changes"][0]["path"] == "a"
    assert data["notes"] == [{"audience": "provider", "text": "n"}]
    assert len(data["results"]) == 1
    two = show.to_json([plan, make_plan(repo=Path("/d"), branch=None)], "applied")
    assert [r["creates_repo"] for r in two["results"]] == [False, True]  # type: ignore[index]

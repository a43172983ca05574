"""Choosing a pattern in `copier copy`: the five questions, the rule (docs/choosing-a-pattern.md),
what is recorded and what the README says; `-d pattern=...` asks and records none of it."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT, commit_all, file_bytes, git
from tests.suite_fixtures import (
    PATTERN_CASES,
    copier_update_cleanly,
    generate,
    make_suite_repo,
    release_suite_v2,
)

FIVE = ("team", "complexity", "deploy_frequency", "compliance", "infra_stability")
DEFAULTS = {"team": "small", "complexity": "simple", "deploy_frequency": "daily",
            "compliance": "standard", "infra_stability": "frequent"}
RECORDED = (*FIVE, "pattern_advice")
COPIER = str(Path(sys.executable).parent / "copier")


_CHOSEN: dict[tuple[Path, str], tuple[dict[str, Any], str]] = {}


def choose(suite: Path, dest: Path, answers: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """`copier copy` (Python API, no prompts, no pattern given unless in *answers*) of only the
    answers file and the README; returns the recorded answers and the README. Each set of
    answers is rendered once per test process (several tables share combinations)."""
    from copier import run_copy

    key = (suite, repr(sorted({**DEFAULTS, **answers}.items())))  # a default given or not: same copy
    if key not in _CHOSEN:
        run_copy(str(suite), str(dest), data={"customer_id": "acme", **answers}, defaults=True,
                 unsafe=True, quiet=True, exclude=["*", "!/.copier-answers.yml", "!/README.md"])
        recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
        _CHOSEN[key] = recorded, (dest / "README.md").read_text(encoding="utf-8")
    recorded, readme = _CHOSEN[key]
    return dict(recorded), readme


def why_section(readme: str) -> str:
    return readme.split("## Why this pattern\n\n", 1)[1].split("\n## Layout", 1)[0]


# ---- each question's answers, the others at their defaults ----------------------------------

EACH_ANSWER = [
    ("team", "small", "monorepo", 4),
    ("team", "roles", "separate", 3),
    ("team", "multiple-teams", "separate", 3),
    ("complexity", "simple", "monorepo", 4),
    ("complexity", "services", "multi-service", 2),
    ("complexity", "platform", "monorepo", 4),  # one of three says "apart": outvoted
    ("deploy_frequency", "daily", "monorepo", 4),
    ("deploy_frequency", "weekly-monthly", "monorepo", 4),
    ("compliance", "standard", "monorepo", 4),
    ("compliance", "strict-audit", "separate", 3),
    ("compliance", "multi-region", "multi-region", 1),
    ("infra_stability", "frequent", "monorepo", 4),
    ("infra_stability", "stable", "monorepo", 4),
]


@pytest.mark.parametrize(("question", "answer", "pattern", "rule"), EACH_ANSWER)
def test_each_answer_alone(
    plain_suite: Path, tmp_path: Path, question: str, answer: str, pattern: str, rule: int
) -> None:
    recorded, _ = choose(plain_suite, tmp_path / "out", {question: answer})
    assert {q: recorded[q] for q in FIVE} == {**DEFAULTS, question: answer}
    assert (recorded["pattern"], recorded["pattern_advice"]["recommended"],
            recorded["pattern_advice"]["rule"]) == (pattern, pattern, rule)


def test_an_unknown_answer_is_refused(plain_suite: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid choice for 'team': 'huge' is not in"):
        choose(plain_suite, tmp_path / "out", {"team": "huge"})
    assert not (tmp_path / "out").exists()


# ---- combinations that agree and that conflict: the documented examples ----------------------


def doc_examples() -> list[tuple[dict[str, str], str, int]]:
    """The rows of the Examples table in docs/choosing-a-pattern.md."""
    text = (ROOT / "docs" / "choosing-a-pattern.md").read_text(encoding="utf-8")
    table = text.split("## Examples", 1)[1]
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in table.splitlines()
            if line.startswith("| ") and not line.startswith(("| team", "| ---"))]
    return [(dict(zip(FIVE, row[:5])), row[5], int(row[6])) for row in rows]


def test_the_documentation_has_examples_of_every_rule() -> None:
    assert sorted({rule for _, _, rule in doc_examples()}) == [1, 2, 3, 4]
    assert len(doc_examples()) == 10


@pytest.mark.parametrize(("answers", "pattern", "rule"), doc_examples(),
                         ids=["-".join(a.values()) for a, _, _ in doc_examples()])
def test_documented_example(
    plain_suite: Path, tmp_path: Path, answers: dict[str, str], pattern: str, rule: int
) -> None:
    recorded, _ = choose(plain_suite, tmp_path / "out", answers)
    assert (recorded["pattern"], recorded["pattern_advice"]["rule"]) == (pattern, rule)


CONFLICTS = [
    ({"team": "roles", "complexity": "services"}, {
        "recommended": "multi-service", "rule": 2,
        "because": "complexity services: each service needs its own directory, CI workflow and "
                   "variables overrides, which only multi-service gives",
        "set_aside": ["team roles (separate)", "deploy_frequency daily (monorepo)",
                      "infra_stability frequent (monorepo)"]}),
    ({"team": "roles", "complexity": "services", "compliance": "multi-region"}, {
        "recommended": "multi-region", "rule": 1,
        "because": "compliance multi-region: each region needs its own variables file, Terraform "
                   "state and approvals, which only multi-region gives",
        "set_aside": ["team roles (separate)", "complexity services (multi-service)",
                      "deploy_frequency daily (monorepo)", "infra_stability frequent (monorepo)"]}),
    ({"team": "multiple-teams", "compliance": "strict-audit"}, {
        "recommended": "separate", "rule": 3,
        "because": "team multiple-teams and compliance strict-audit: the infrastructure needs its "
                   "own owners, access rules and history, which a repository of its own gives",
        "set_aside": ["complexity simple (monorepo)", "deploy_frequency daily (monorepo)",
                      "infra_stability frequent (monorepo)"]}),
    ({"complexity": "platform", "deploy_frequency": "weekly-monthly"}, {
        "recommended": "separate", "rule": 4,
        "because": "complexity platform, deploy_frequency weekly-monthly (2 of complexity, "
                   "deploy_frequency and infra_stability) say the application and its "
                   "infrastructure change apart: each gets a repository of its own, reviewed on "
                   "its own schedule",
        "set_aside": ["team small (monorepo)", "infra_stability frequent (monorepo)"]}),
    ({}, {
        "recommended": "monorepo", "rule": 4,
        "because": "complexity simple, deploy_frequency daily, infra_stability frequent (3 of "
                   "complexity, deploy_frequency and infra_stability) say the application and its "
                   "infrastructure change together: one repository keeps a change to both in one "
                   "pull request",
        "set_aside": []}),
]


@pytest.mark.parametrize(("answers", "advice"), CONFLICTS,
                         ids=[advice["recommended"] for _, advice in CONFLICTS])
def test_recorded_advice_says_which_rule_decided_and_what_it_outweighed(
    plain_suite: Path, tmp_path: Path, answers: dict[str, str], advice: dict[str, Any]
) -> None:
    recorded, readme = choose(plain_suite, tmp_path / "out", answers)
    assert recorded["pattern_advice"] == advice
    assert {q: recorded[q] for q in FIVE} == {**DEFAULTS, **answers}
    assert recorded["pattern"] == advice["recommended"]
    assert f"They point to **{advice['recommended']}** (rule {advice['rule']} of 4): " in readme


def test_readme_says_why_this_pattern_was_chosen(plain_suite: Path, tmp_path: Path) -> None:
    _, readme = choose(plain_suite, tmp_path / "out", {"team": "roles", "complexity": "services"})
    assert why_section(readme) == (
        "Your answers to the suite's questions for choosing a pattern: team roles, complexity "
        "services, deploy_frequency daily, compliance standard, infra_stability frequent.\n"
        "They point to **multi-service** (rule 2 of 4): complexity services: each service needs "
        "its own directory, CI workflow and variables overrides, which only multi-service gives.\n"
        "Outweighed: team roles (separate), deploy_frequency daily (monorepo), infra_stability "
        "frequent (monorepo).\n"
        "The rule is in the suite's `docs/choosing-a-pattern.md`; `.copier-answers.yml` keeps "
        "the answers and the advice.\n"
    )


# ---- a given pattern asks and records nothing more -------------------------------------------


@pytest.mark.parametrize("case", PATTERN_CASES)
def test_a_given_pattern_records_none_of_the_questions(generated: dict[str, Path], case: str) -> None:
    recorded = yaml.safe_load((generated[case] / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert [key for key in RECORDED if key in recorded] == []
    assert "Why this pattern" not in (generated[case] / "README.md").read_text(encoding="utf-8")


def test_a_given_pattern_ignores_the_questions_given_with_it(plain_suite: Path, tmp_path: Path) -> None:
    recorded, readme = choose(plain_suite, tmp_path / "out",
                              {"pattern": "monorepo", "team": "roles", "complexity": "services"})
    assert recorded["pattern"] == "monorepo"
    assert [key for key in RECORDED if key in recorded] == []
    assert "Why this pattern" not in readme


# ---- interactively: the help shows the reasoning, the user picks another ---------------------


class Terminal:
    """`copier copy` on a real pseudo-terminal, read as text (escape sequences removed)."""

    def __init__(self, args: list[str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                        env={**os.environ, "TERM": "xterm"}, start_new_session=True)
        os.close(slave)
        self.screen = ""
        self.seen = 0

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait until *text* appears after what was already expected."""
        end = time.monotonic() + timeout
        while (found := self.screen.find(text, self.seen)) < 0:
            ready = select.select([self.master], [], [], 0.1)[0]
            try:
                chunk = os.read(self.master, 65536) if ready else b""
            except OSError:  # the process ended and everything it wrote was read
                chunk = b""
                end = 0
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} never appeared:\n{self.screen[-3000:]}")
            if b"\x1b[6n" in chunk:  # prompt_toolkit asks where the cursor is: answer
                os.write(self.master, b"\x1b[1;1R")
            shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", chunk.decode(errors="replace"))
            self.screen += shown.replace("\r", "")  # the terminal's line ends are \r\r\n
        self.seen = found + len(text)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self, kill: bool = False) -> int:
        """Wait for copier to finish (or end it, after a failed step) and return its exit code."""
        if kill:
            self.process.kill()
        code = self.process.wait(timeout=60)
        os.close(self.master)
        return code


ENTER, UP, DOWN, SUBMIT_MULTILINE = "\r", "\x1b[A", "\x1b[B", "\x1b\r"


def test_interactive_copy_offers_the_recommendation_and_the_user_picks_another(
    plain_suite: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "acme-infra"
    term = Terminal([COPIER, "copy", "--trust", "-d", "customer_id=acme", str(plain_suite), str(dest)])
    try:
        for step, keys in [("(1/5)", DOWN + ENTER), ("(2/5)", DOWN + ENTER), ("(3/5)", ENTER),
                           ("(4/5)", ENTER), ("(5/5)", ENTER)]:
            term.expect(step)
            term.send(keys)  # team roles, complexity services, the rest at their defaults
        term.expect(
            "Which repository pattern to generate?\n"
            "Your answers point to multi-service (rule 2 of 4):\n"
            "complexity services: each service needs its own directory, CI workflow and variables "
            "overrides, which only multi-service gives.\n"
            "Outweighed: team roles (separate), deploy_frequency daily (monorepo), infra_stability "
            "frequent (monorepo).\n"
            "The rule, first that applies: 1. compliance multi-region -> multi-region; 2. "
            "complexity services -> multi-service;\n3. team roles or multiple-teams, or compliance "
            "strict-audit -> separate; 4. the majority of complexity,\ndeploy_frequency and "
            "infra_stability (simple, daily, frequent -> monorepo; platform, weekly-monthly, "
            "stable -> separate).\n"
            "It is the default; pick another if you know better (docs/choosing-a-pattern.md in the "
            "suite).")
        term.expect("   separate\n » multi-service\n")  # the default is the recommendation
        term.send(UP + ENTER)  # separate instead
        for step, keys in [("which one is this?", ENTER), ("Name of this repository", ENTER),
                           ("manager repository", ENTER), ("event type", ENTER),
                           ("Name of the repository secret", ENTER),
                           ("Deployment environments", SUBMIT_MULTILINE),
                           ("What sends your infra changes", ENTER), ("service tier", ENTER),
                           ("Regions (YAML list", SUBMIT_MULTILINE),
                           ("Address of your Terraform state", ENTER)]:
            term.expect(step)
            term.send(keys)
    except BaseException:
        term.close(kill=True)
        raise
    code = term.close()
    assert code == 0, term.screen[-3000:]
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (recorded["pattern"], recorded["repo_role"], recorded["team"], recorded["complexity"],
            recorded["pattern_advice"]["recommended"]) == (
        "separate", "infra", "roles", "services", "multi-service")
    assert why_section((dest / "README.md").read_text(encoding="utf-8")).splitlines()[3] == (
        "This repository is **separate** instead (chosen over the recommendation, or moved since)."
    )


def test_interactive_copy_with_a_given_pattern_asks_none_of_the_five(
    plain_suite: Path, tmp_path: Path
) -> None:
    term = Terminal([COPIER, "copy", "--trust", "-d", "customer_id=acme", "-d", "pattern=monorepo",
                     str(plain_suite), str(tmp_path / "out")])
    try:
        term.expect("🎤 Name of this repository on GitHub")  # the first question left to ask
    finally:
        term.close(kill=True)
    assert "Choosing a pattern" not in term.screen
    assert term.screen.count("🎤") == 1, term.screen


# ---- copier update keeps the choice ---------------------------------------------------------


def customer_edit(repo: Path) -> None:
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace(
        "\n## Layout\n", "\nOur on-call rota is in the wiki.\n\n## Layout\n", 1))


def test_update_keeps_the_answers_the_advice_and_the_readme_section(tmp_path: Path) -> None:
    suite = make_suite_repo(tmp_path / "suite")
    repo = generate(suite, tmp_path / "repo", {"customer_id": "acme", "complexity": "platform",
                                               "deploy_frequency": "weekly-monthly"})
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    customer_edit(repo)
    commit_all(repo, "customer edit")
    before = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    release_suite_v2(suite)

    after = copier_update_cleanly(repo, "v2")

    recorded = yaml.safe_load(after[".copier-answers.yml"])
    assert {k: recorded[k] for k in (*RECORDED, "pattern")} == \
        {k: before[k] for k in (*RECORDED, "pattern")}
    assert (recorded["pattern"], recorded["_commit"]) == ("separate", "v2")
    readme = after["README.md"].decode()
    assert "They point to **separate** (rule 4 of 4)" in why_section(readme)
    assert "Our on-call rota is in the wiki." in why_section(readme)
    assert readme.endswith("\nSuite v2.\n")
    # The same as copying v2 with the recorded answers, plus the customer's edit.
    answers = {k: v for k, v in recorded.items() if not k.startswith("_")}
    fresh = generate(suite, tmp_path / "fresh", answers, vcs_ref="v2")
    customer_edit(fresh)
    assert after == file_bytes(fresh)


def test_a_migration_carries_the_advice_and_the_readme_says_the_pattern_changed(
    suite_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migrate.cli import main

    mono = generate(suite_repo, tmp_path / "acme-platform", {"customer_id": "acme"})
    git(mono, "init", "-q", "-b", "main")
    commit_all(mono, "generated")
    before = yaml.safe_load((mono / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert before["pattern"] == "monorepo"
    with pytest.raises(SystemExit) as done:
        main(["mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "acme-infra")])
    assert done.value.code in (0, None), capsys.readouterr()
    infra = tmp_path / "acme-infra"
    after = yaml.safe_load((infra / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (after["pattern"], after["repo_role"]) == ("separate", "infra")
    assert {k: after[k] for k in RECORDED} == {k: before[k] for k in RECORDED}
    assert why_section((infra / "README.md").read_text(encoding="utf-8")).splitlines()[2] == (
        "This repository is **separate** instead (chosen over the recommendation, or moved since)."
    )

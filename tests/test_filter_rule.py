"""One rule for GitHub filter patterns: copier.yml's github_filter_pattern decides for the suite's
validators (branch_patterns, tag_pattern) and for migrate/filters.py (explain, migrations)."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from migrate import filters
from migrate.cli import main
from migrate.errors import InvalidPattern, Refused
from migrate.suite import render_project
from tests.checkers import actionlint
from tests.helpers import ROOT, commit_all, git, make_repo

COPIER = str(Path(sys.executable).parent / "copier")
RULE = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))["github_filter_pattern"]["default"]
# Every character the rule treats specially, letters and digits at the ends of the class ranges,
# a plain character and a line break.
ALPHABET = "*?+[]\\!-/aZ09.\n"


def patterns_up_to(length: int, alphabet: str = ALPHABET) -> Iterator[str]:
    """Every string of at most *length* characters over *alphabet* (the empty one included)."""
    for size in range(length + 1):
        for chars in itertools.product(alphabet, repeat=size):
            yield "".join(chars)


# Pieces that make longer patterns likely to be valid or almost valid, so both verdicts occur.
FRAGMENTS = ["[a-z]", "[0-9]", "[A-Fa-f0-9]", "[z-a]", "[a-]", "[]", "[.]", "**/", "***", "**",
             "*", "\\+", "\\*", "\\\\", "\\x", "\\", "+", "?", "!", "/", "-", ".", "a", "Z", "9",
             "release", "v", "[", "]", "\n", "é"]


def random_patterns(count: int, seed: int = 20260101) -> list[str]:
    """*count* patterns of 5 to 40 characters joined from FRAGMENTS and single characters."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < rng.randint(5, 40):
            parts.append(rng.choice(FRAGMENTS) if rng.random() < 0.7 else rng.choice(ALPHABET))
        out.append("".join(parts))
    return out


def translates(text: str) -> bool:
    """filters.compile_pattern's verdict (it raises RuntimeError if the rule and it disagree)."""
    try:
        filters.compile_pattern(text)
    except InvalidPattern:
        return False
    return True


# ---- the rule and migrate/filters.py ---------------------------------------------------------


def test_filters_reads_the_rule_from_copier_yml() -> None:
    assert filters.validity_regex().pattern == r"\A(?:!|(?!!))(?:" + RULE["token"] + r")+\Z"


def test_rule_and_translator_agree_on_every_pattern_up_to_four_characters() -> None:
    verdicts = {text: translates(text) for text in patterns_up_to(4)}
    assert all(filters.is_valid(text) is ok for text, ok in verdicts.items())
    # Both verdicts are common; the exact counts pin the rule (a change shows here first).
    assert (len(verdicts), sum(verdicts.values())) == (54241, 24606)


def test_rule_and_translator_agree_on_random_longer_patterns() -> None:
    verdicts = {text: translates(text) for text in random_patterns(20000)}
    assert all(filters.is_valid(text) is ok for text, ok in verdicts.items())
    assert 2000 < sum(verdicts.values()) < len(verdicts) - 2000


@pytest.mark.parametrize(("text", "valid"), [
    ("main", True), ("release/**", True), ("v[0-9]+.*", True), ("infra-v*", True),
    ("!skip/**", True), ("***/?", True), ("c\\+\\+", True), ("a\\b", True),
    ("?x", False), ("+y", False), ("[z-a]", False), ("a[", False), ("**/?", False),
    ("****/?", False), ("!", False), ("", False), ("a\nb", False), ("[a-Z]", False),
])
def test_rule_on_known_patterns(text: str, valid: bool) -> None:
    assert (filters.is_valid(text), translates(text)) == (valid, valid)


SUITE_REFUSALS = [
    ("main", None),
    ("v[0-9]+.*", None),
    ("c\\+\\+", None),
    ("\\!keep", None),
    ("a b", '" " is not a character the suite writes into a workflow: use only letters, digits and '
            '. / - _ * + ? ! [ ] \\'),
    ("${{ x }}", '"$" is not a character the suite writes into a workflow: use only letters, '
                 'digits and . / - _ * + ? ! [ ] \\'),
    ("a\\b", '"\\" escapes a character no branch or tag name can hold (git refuses "\\", "*", "?" '
             'and "[" in names): "\\" may only come before "+" or "!" (a literal + or !)'),
    ("a\\*", '"\\" escapes a character no branch or tag name can hold (git refuses "\\", "*", "?" '
             'and "[" in names): "\\" may only come before "+" or "!" (a literal + or !)'),
    ("release/", '"/" is where no branch or tag name can have it: a name cannot start with "/" or '
                 'end with "/" or "."'),
    ("!/x", '"!/" is where no branch or tag name can have it: a name cannot start with "/" or '
            'end with "/" or "."'),
    ("v1.", '"." is where no branch or tag name can have it: a name cannot start with "/" or end '
            'with "/" or "."'),
    ("v[1]", '"[1]" is a class of one character, which matches just that character: write the '
             'character itself (actionlint reports such a class as an error)'),
    ("?x", "GitHub refuses it as a filter pattern"),
    ("[z-a]", "GitHub refuses it as a filter pattern"),
]


@pytest.mark.parametrize(("text", "why"), SUITE_REFUSALS)
def test_suite_refusal_says_why(text: str, why: str | None) -> None:
    assert filters.suite_refusal(text) == why


def test_an_old_suite_without_the_rule_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "copier.yml").write_text("pattern:\n  type: str\n")
    monkeypatch.setenv("REPO_MIGRATE_SUITE", str(tmp_path))
    with pytest.raises(Refused) as refused:
        filters.compile_pattern("main")
    assert refused.value.problem == (
        f"the template suite at {tmp_path} has no 'github_filter_pattern' in copier.yml "
        "(it is older than this repo-migrate)"
    )


# ---- the suite's validators: the same verdict through real `copier copy` ---------------------


def refused_by_copier(plain_suite: Path, dest: Path, patterns: list[str]) -> set[str]:
    """The branch patterns that `copier copy` refuses, read from its one validation message."""
    try:
        render_project({"customer_id": "acme", "trigger_kinds": ["branch"],
                        "branch_patterns": patterns}, dest, src=str(plain_suite))
    except Refused as refused:
        assert not dest.exists()
        return set(re.findall(r'branch pattern "([^"\n]*)"[ :]', refused.problem))
    return set()


def test_suite_validator_agrees_with_filters_on_every_short_pattern(
    plain_suite: Path, tmp_path: Path
) -> None:
    patterns = list(patterns_up_to(3, ALPHABET.replace("\n", "")))
    refused = refused_by_copier(plain_suite, tmp_path / "out", patterns)
    assert refused == {p for p in patterns if filters.suite_refusal(p) is not None}
    github_refuses = {p for p in patterns if not filters.is_valid(p)}
    assert github_refuses < refused  # all that GitHub refuses, and the suite's own refusals
    assert len(patterns) - len(refused) == 1117


def test_every_pattern_the_suite_accepts_makes_a_workflow_actionlint_and_explain_accept(
    plain_suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tricky = ["0", "1.10", "yes", "No", "null", "true", "on", "2024-01-01", "---", "...", "1e3",
              "-", "--", "0x1F", "release/**", "v[0-9]+.*", "c\\+\\+", "\\!keep", "!skip/**"]
    patterns = [p for p in [*patterns_up_to(3, "*?+[]\\!-/a0."), *tricky][1:]
                if filters.suite_refusal(p) is None]
    dest = tmp_path / "repo"
    render_project({"customer_id": "acme", "trigger_kinds": ["branch", "tag"],
                    "branch_patterns": patterns, "tag_pattern": "v[0-9]+.*"}, dest,
                   src=str(plain_suite))
    workflow = dest / ".github" / "workflows" / "trigger-infra.yml"
    on = yaml.safe_load(workflow.read_text(encoding="utf-8"))[True]  # PyYAML reads on: as True
    assert on["push"]["branches"] == patterns  # each one a string, as answered
    assert on["push"]["tags"] == ["v[0-9]+.*"]
    assert actionlint([workflow]) == []
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "generated")
    with pytest.raises(SystemExit) as done:
        main(["explain", "--repo", str(dest), "--changed", "infra/variables.yml"])
    assert done.value.code in (0, None), capsys.readouterr()


BAD_ANSWERS = [
    ({"trigger_kinds": ["branch"], "branch_patterns": ["main", "?x"]},
     'branch pattern "?x" has "?" at character 1 with nothing before it to repeat, which GitHub '
     'refuses: "?" and "+" repeat the letter, digit or [class] just before them, so they cannot '
     'start a pattern or follow "!", "*", "?" or "+" (GitHub filter syntax: * and ** wildcards, "?" '
     'or "+" after a character, classes such as [0-9] or [a-zA-Z], a leading "!" to exclude; e.g. '
     'main, release/**, v[0-9]+.*)'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["+y"]},
     'branch pattern "+y" has "+" at character 1 with nothing before it to repeat, which GitHub '
     'refuses: "?" and "+" repeat the letter, digit or [class] just before them, so they cannot '
     'start a pattern or follow "!", "*", "?" or "+" (write "\\+" for a literal "+") (GitHub filter '
     'syntax: * and ** wildcards, "?" or "+" after a character, classes such as [0-9] or [a-zA-Z], '
     'a leading "!" to exclude; e.g. main, release/**, v[0-9]+.*)'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["[z-a]"]},
     'branch pattern "[z-a]" has a "[" at character 1 that GitHub refuses: a class lists letters, '
     'digits and ranges within a-z, A-Z or 0-9 that run forwards (e.g. [0-9], [a-f]) and ends with '
     '"]" (GitHub filter syntax'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["a["]},
     'branch pattern "a[" has a "[" at character 2 that GitHub refuses'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["!"]},
     'branch pattern "!" excludes nothing ("!" needs a pattern after it), which GitHub refuses'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["release/"]},
     'branch pattern "release/": "/" is where no branch or tag name can have it: a name cannot '
     'start with "/" or end with "/" or "."'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["main", 7]},
     'branch pattern 7 is not a string: quote it, e.g. "7"'),
    ({"trigger_kinds": ["tag"], "tag_pattern": "+v"},
     'tag_pattern "+v" has "+" at character 1 with nothing before it to repeat, which GitHub '
     'refuses'),
    ({"trigger_kinds": ["tag"], "tag_pattern": ""}, 'tag_pattern "" is empty, which GitHub refuses'),
    ({"provider_repo": "a/.."},
     'provider_repo "a/.." names the repository "..", which GitHub does not allow (it would '
     'change the dispatch URL\'s path): write the manager repository\'s name, e.g. '
     '"provider-org/infra-manager"'),
    ({"provider_repo": "a/."}, 'provider_repo "a/." names the repository ".", which GitHub does '
                               'not allow'),
    ({"provider_repo": "../x"}, 'provider_repo "../x" is not an owner/name GitHub repository'),
    ({"provider_repo": "./x"}, 'provider_repo "./x" is not an owner/name GitHub repository'),
]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=[m[:40] for _, m in BAD_ANSWERS])
def test_bad_answers_are_refused_with_the_validator_message_and_nothing_generated(
    plain_suite: Path, tmp_path: Path, answers: dict[str, object], message: str
) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(Refused) as refused:
        render_project({"customer_id": "acme", **answers}, dest, src=str(plain_suite))
    assert message in refused.value.problem
    assert not dest.exists()


def test_copier_cli_refuses_a_bad_tag_pattern_and_generates_nothing(
    suite_repo: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    done = subprocess.run(
        [COPIER, "copy", "--trust", "--defaults", "-d", "customer_id=acme", "-d",
         "trigger_kinds=[tag]", "-d", "tag_pattern=+v", str(suite_repo), str(dest)],
        capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert 'tag_pattern "+v" has "+" at character 1 with nothing before it to repeat' in done.stderr
    assert not dest.exists()


def test_good_answers_pass(plain_suite: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    answers = {"customer_id": "acme", "trigger_kinds": ["branch", "tag"],
               "branch_patterns": ["main", "release/**", "v[0-9]+.*", "infra-v*", "!skip/**"],
               "tag_pattern": "infra-v*", "provider_repo": "provider-org/infra.manager"}
    render_project(answers, dest, src=str(plain_suite))
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert {k: recorded[k] for k in answers} == answers


@pytest.mark.parametrize("pattern", ["?x", "+y", "[z-a]", "a[", "+v", "**/?"])
def test_explain_reports_what_the_suite_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    workflow = f"on:\n  push:\n    branches: ['{pattern}']\njobs: {{}}\n"
    repo = make_repo(tmp_path / "repo", {".github/workflows/w.yml": workflow})
    with pytest.raises(SystemExit) as done:
        main(["explain", "--repo", str(repo), "--changed", "x"])
    out = capsys.readouterr().out
    assert done.value.code == 3
    assert f"ERROR  invalid workflow: on.push.branches: invalid filter pattern {pattern!r}" in out
    assert filters.suite_refusal(pattern) == "GitHub refuses it as a filter pattern"

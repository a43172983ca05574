"""The libraries behind moves on real layouts: rule files, workflows that go with infra/, app/
paths in workflows, the routing proof, symbolic links, where an application lives."""

from __future__ import annotations

import pytest

from migrate import attributes
from migrate.app_ci import app_ci_to_root
from migrate.app_layout import AppLocation, find_application
from migrate.errors import Refused
from migrate.symlinks import relink
from migrate.workflow_moves import check_same_runs, infra_verdict, widened
from migrate.workflow_paths import move_into, splice_values, to_folder

RULES = (b"# attributes\n* text=auto\n*.png binary\ninfra/**/*.zip filter=lfs -text\n"
         b"/.github/workflows/tf.yml linguist-generated\napp/assets/** filter=lfs\n")


def test_split_rules_sends_each_rule_where_it_applies() -> None:
    leaving = ["infra/a.zip", "infra/variables.yml", ".github/workflows/tf.yml"]
    staying = ["app/assets/x.png", "README.md", ".github/workflows/ci.yml"]
    split = attributes.split_rules(RULES, leaving, staying, "infra")
    assert split.leaving == (b"* text=auto\n*.png binary\ninfra/**/*.zip filter=lfs -text\n"
                             b"/.github/workflows/tf.yml linguist-generated\n")
    assert split.staying == b"# attributes\n* text=auto\n*.png binary\napp/assets/** filter=lfs\n"


def test_split_rules_sends_an_ignored_infra_folder_with_infra() -> None:
    split = attributes.split_rules(b".terraform/\r\n/infra/plan.out\r\n/dist/\r\n",
                                   ["infra/main.tf"], ["src/a.js"], "infra")
    assert split.leaving == b".terraform/\r\n/infra/plan.out\r\n"
    assert split.staying == b".terraform/\r\n/dist/\r\n"


def test_split_rules_with_nothing_for_the_new_repository() -> None:
    split = attributes.split_rules(b"# only app\n/src/gen/ linguist-generated\n", ["infra/x"],
                                   ["src/gen/a"], "infra")
    assert split.leaving is None
    assert split.staying == b"# only app\n/src/gen/ linguist-generated\n"


@pytest.mark.parametrize(("data", "old", "new", "tops", "want"), [
    (b"app/assets/** filter=lfs\n", "app", "", (), b"assets/** filter=lfs\n"),
    (b"/app/dist/\n!app/keep\n*.png binary\n", "app", "", (), b"/dist/\n!keep\n*.png binary\n"),
    (b"docs/x text\n**/app/y text\n", "app", "", (), b"docs/x text\n**/app/y text\n"),
    (b"src/gen/** linguist-generated\n/docs/x a\n", "", "app", ("src",),
     b"app/src/gen/** linguist-generated\n/docs/x a\n"),
])
def test_reroot(data: bytes, old: str, new: str, tops: tuple[str, ...], want: bytes) -> None:
    assert attributes.reroot(data, old, new, tops) == want


def test_join_rules_adds_only_missing_lines() -> None:
    assert attributes.join_rules(b"*.pyc\r\n.env", b"*.pyc\n.terraform/\n") == b"*.pyc\r\n.env\r\n.terraform/\n"
    assert attributes.join_rules(None, b"a\n") == b"a\n"
    assert attributes.join_rules(b"a\n", b"a\n") == b"a\n"


def test_lfs_paths_follow_the_last_matching_rule() -> None:
    text = b"*.zip filter=lfs\ninfra/keep.zip -filter\n"
    assert attributes.lfs_paths(text, ["infra/a.zip", "infra/keep.zip", "x.txt"]) == ["infra/a.zip"]


TF = ("on:\n  push:\n    paths: ['infra/**']\njobs:\n  plan:\n    runs-on: x\n    steps:\n"
      "      - run: terraform plan\n")
JOBS_IN_INFRA = ("on: [push]\ndefaults:\n  run:\n    working-directory: ./infra\njobs:\n  plan:\n"
                 "    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: terraform plan\n")


@pytest.mark.parametrize(("text", "moves", "reason"), [
    (TF, True, "all its path filters watch infra/"),
    (JOBS_IN_INFRA, True, "all its jobs work in infra/"),
    (TF.replace("['infra/**']", "['infra/**', 'app/**']"), False, "its path filters also watch app/**"),
    (JOBS_IN_INFRA + "      - run: make\n        working-directory: app\n", False,
     "names infra/ but also works outside it"),
    (TF.replace("terraform plan", "cp app/x infra/"), False, "also names app/"),
    (TF.replace("on:\n  push:", "on:\n  workflow_call:\n  push:"), False, "reusable workflow"),
])
def test_infra_verdict(text: str, moves: bool, reason: str) -> None:
    verdict = infra_verdict(".github/workflows/w.yml", text.encode(), tops={"app", "infra"})
    assert verdict is not None and verdict.moves is moves and reason in verdict.reason


@pytest.mark.parametrize("text", [
    "on: [push]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
    "on:\n  push:\n    paths-ignore: ['infra/**']\njobs: {}\n",  # excluding infra/ is not using it
    "on:\n  push:\n    paths: ['**', '!infra/**']\njobs: {}\n",
    "on:\n  push:\n    tags: ['infra-v*']\njobs: {}\n",
])
def test_workflows_that_do_not_use_infra_have_no_verdict(text: str) -> None:
    assert infra_verdict("w.yml", text.encode()) is None


@pytest.mark.parametrize(("before", "after"), [
    ("      with:\n        cache-dependency-path: ./app/yarn.lock\n",
     "      with:\n        cache-dependency-path: ./yarn.lock\n"),
    ("      with:\n        context: app  # the image\n", "      with:\n        context: .  # the image\n"),
    ("      with:\n        name: app\n", "      with:\n        name: app\n"),  # not a folder input
    ("      with:\n        path: |\n          app/node_modules\n          my-app/x\n",
     "      with:\n        path: |\n          node_modules\n          my-app/x\n"),
    ("      with:\n        key: k-${{ hashFiles('app/package.json') }}\n",
     "      with:\n        key: k-${{ hashFiles('package.json') }}\n"),
    ("      with:\n        files: \"../app/x webapp/y\"\n",
     "      with:\n        files: \"../app/x webapp/y\"\n"),
])
def test_app_values_move_to_the_root(before: str, after: str) -> None:
    text = "on: [push]\njobs:\n  a:\n    runs-on: x\n    steps:\n    - uses: a/b@v1\n" + before
    got = splice_values(text, "w.yml", lambda v, folder: to_folder(v, "app", "", folder))
    assert got == text.replace(before, after)


MOVING = """\
on:
  push:
    paths: ['src/**', 'package.json', '!src/docs/**', 'infra/**']
jobs:
  build:
    runs-on: x
    defaults:
      run:
        working-directory: src   # the app
    steps:
      - uses: actions/setup-node@v4
        with:
          cache-dependency-path: ./src/yarn.lock
          key: ${{ hashFiles('package.json') }}
          name: src
      - run: make
        working-directory: ./src/web
"""


def test_move_into_moves_what_names_the_application() -> None:
    got = move_into(MOVING, "ci.yml", {"src": "app/src", "package.json": "app/package.json"})
    assert got == (MOVING.replace("['src/**', 'package.json', '!src/docs/**'",
                                  "['app/src/**', 'app/package.json', '!app/src/docs/**'")
                   .replace("working-directory: src ", "working-directory: app/src ")
                   .replace("./src/yarn.lock", "./app/src/yarn.lock")
                   .replace("hashFiles('package.json')", "hashFiles('app/package.json')")
                   .replace("./src/web", "./app/src/web"))


CI = ("on:\n  push:\n    paths: ['app/**']\n  pull_request:\n    paths: ['**/app/*.js']\n"
      "jobs: {}\n")


def test_the_routing_proof_accepts_a_retargeted_workflow() -> None:
    after = app_ci_to_root(CI, "ci.yml")
    assert after == ("on:\n  push:\n  pull_request:\n    paths: ['*.js', '**/app/*.js']\njobs: {}\n")
    pairs = [("app/a.js", "a.js"), ("app/src/app/b.js", "src/app/b.js"), ("README.md", "README.md")]
    before_b, after_b = {"ci.yml": CI.encode()}, {"ci.yml": after.encode()}
    assert widened(before_b, after_b) == {"ci.yml": ["push"]}
    assert check_same_runs(before_b, after_b, pairs, "refs/heads/main") == []


def test_the_routing_proof_catches_a_decision_that_changes() -> None:
    wrong = CI.replace("['**/app/*.js']", "['src/**']").encode()
    problems = check_same_runs({"ci.yml": CI.encode()}, {"ci.yml": wrong},
                               [("app/a.js", "a.js")], "refs/heads/main")
    assert problems == ["ci.yml does not run for a push of a.js, though it ran for app/a.js",
                        "ci.yml does not run for a pull_request of a.js, though it ran for app/a.js"]


def test_relink_rewrites_links_that_move_and_refuses_links_across_repositories() -> None:
    tree = ["app/src/a.js", "app/vars.yml", "latest", "infra/variables.yml", "docs/x.md"]

    def place(p: str) -> tuple[str, str]:
        if p == "infra" or p.startswith("infra/"):
            return "infra", p
        return "app", p[4:] if p.startswith("app/") else p

    done = relink({"latest": "app/src", "app/link": "src/a.js", "app/doc": "../docs/x.md",
                   "abs": "/etc/hosts", "gone": "nothing/here"}, tree, place)
    assert done.targets == {("app", "latest"): "src", ("app", "doc"): "docs/x.md"}
    with pytest.raises(Refused, match="goes to the infra repository"):
        relink({"app/vars.yml": "../infra/variables.yml"}, tree, place)


@pytest.mark.parametrize(("paths", "want"), [
    (["app/a.py", "README.md", "infra/v.yml"], AppLocation("app", ("app",))),
    (["src/a.py", "src/b/c.py", ".github/workflows/x.yml", "infra/v.yml"], AppLocation("src", ("src",))),
    (["apps/web/a.js", "apps/api/b.py"], AppLocation("apps", ("apps",))),
    (["app.py", "requirements.txt", "src/x.py", "LICENSE"],
     AppLocation("", ("app.py", "requirements.txt", "src"))),
    (["README.md", "infra/variables.yml", ".github/workflows/t.yml"], None),
    (["backend/a.js", "backend/lib/b.js", "readme.md", ".devcontainer/c.json", "License"],
     AppLocation("backend", ("backend",))),
])
def test_find_application(paths: list[str], want: AppLocation | None) -> None:
    assert find_application(paths) == want

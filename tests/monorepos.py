"""Monorepos with real history for the pattern-move tests (built once per session, copied per test)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers import build_file_tree, git

APP_CI = """\
# CI of the app (hand-tuned by the customer).
name: app-ci
on:
  push:
    branches: [ main ]
    paths:
      - 'app/**'   # only the app
      - .github/workflows/app-ci.yml
  pull_request:
    paths: ['app/**', '!app/docs/**']
jobs:
  test:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: app   # the app lives in app/
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      # run the tests
      - run: python -m unittest
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: ruff check .
        working-directory: app/src
"""

APP_CI_AT_ROOT = """\
# CI of the app (hand-tuned by the customer).
name: app-ci
on:
  push:
    branches: [ main ]
  pull_request:
    paths: ['**', '!docs/**']
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      # run the tests
      - run: python -m unittest
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: ruff check .
        working-directory: src
"""

TRIGGER = """\
name: trigger-infra
on:
  push:
    paths: ['infra/**']
permissions: {}
jobs:
  dispatch:
    runs-on: ubuntu-latest
    steps:
      - run: echo dispatch
        env:
          TOKEN: ${{ secrets.ACME_DISPATCH }}
"""

VARIABLES = "# Variables of acme.\r\ncustomer_id: acme\r\nstate_key: acme/acme-platform  # never change\r\nregion: us-east-1\r\n"


def commit(repo: Path, message: str, author: str, date: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author.lower()}@acme.test",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True, env=env)


def build_monorepo(path: Path) -> Path:
    """A hand-made monorepo (no Copier answers) with merges, CRLF, an executable and a binary."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    build_file_tree(path, {
        "README.md": "# acme platform\n",
        ".gitignore": "*.pyc\n",
        "app/src/main.py": "print('hello')\n",
        "app/Dockerfile": "FROM python:3.12\n",
        "infra/variables.yml": VARIABLES,
        ".github/workflows/app-ci.yml": APP_CI,
        ".github/workflows/trigger-infra.yml": TRIGGER,
    })
    commit(path, "start the platform", "Alice", "2024-01-01T10:00:00+01:00")
    build_file_tree(path, {"app/run.sh": "#!/bin/sh\nexec python src/main.py\n",
                           "app/logo.png": b"\x89PNG\r\n\x1a\n\0\0binary"})
    (path / "app/run.sh").chmod(0o755)
    commit(path, "app: run script and logo", "Bob", "2024-01-02T11:00:00-05:00")
    # a branch that edits the variables, merged back with a merge commit
    git(path, "switch", "-q", "-c", "bigger-db")
    build_file_tree(path, {"infra/variables.yml": VARIABLES + "db_size: large\r\n"})
    commit(path, "infra: bigger database", "Carol", "2024-02-03T09:30:00+00:00")
    git(path, "switch", "-q", "main")
    build_file_tree(path, {"app/src/main.py": "print('hello, world')\n"})
    commit(path, "app: greet the world", "Alice", "2024-02-04T08:00:00+01:00")
    env = {**os.environ, "GIT_COMMITTER_DATE": "2024-02-05T12:00:00+00:00",
           "GIT_AUTHOR_DATE": "2024-02-05T12:00:00+00:00"}
    subprocess.run(["git", "-C", str(path), "merge", "-q", "--no-ff", "-m", "Merge bigger-db",
                    "bigger-db"], check=True, env=env)
    git(path, "branch", "-q", "-D", "bigger-db")
    build_file_tree(path, {"infra/README.md": "What the variables mean.\n",
                           "docs/guide.md": "How we work.\n"})
    commit(path, "docs and infra readme", "Bob", "2024-03-01T00:00:00+00:00")
    return path


def copy_repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest

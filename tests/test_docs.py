"""Every `repo-migrate` example in the docs runs, as written, against generated repositories.

Each fenced block of README.md, CONTRIBUTING.md and docs/**/*.md that holds a `repo-migrate`
command runs as a bash script (`set -euo pipefail`) in a fresh copy of a workspace of generated,
committed repositories, with the installed `repo-migrate` on PATH. It must exit 0; a line ending
in `# exit N` must exit N (the script goes on).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, commit_all, git
from tests.suite_fixtures import generate

DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECT = re.compile(r"^(?P<cmd>.*?)\s+# exit (?P<code>\d+)\s*$")
# The workspace: name -> answers (customer acme).
WORKSPACE = {
    "acme-platform": {"pattern": "monorepo"},
    "acme-app": {"pattern": "separate", "repo_role": "app"},
    "acme-infra": {"pattern": "separate", "repo_role": "infra"},
    "acme-services": {"pattern": "multi-service"},
    "acme-regions": {"pattern": "multi-region", "regions": ["us-east", "eu-west"]},
    "infra-manager": {"pattern": "provider"},  # the provider's manager repository
}


def examples() -> list[tuple[str, str]]:
    """(where, script) of every fenced block with a repo-migrate command."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for n, match in enumerate(FENCE.finditer(text), 1):
            block = match.group(1)
            if re.search(r"^\s*repo-migrate\s", block, re.MULTILINE):
                found.append((f"{doc.relative_to(ROOT)}#{n}", block))
    return found


def as_script(block: str) -> str:
    lines = ["set -euo pipefail"]
    for line in block.splitlines():
        expected = EXPECT.match(line)
        if expected:
            lines.append(f"set +e; {expected['cmd']}; got=$?; set -e; "
                         f"[ \"$got\" -eq {expected['code']} ] || {{ echo \"exit $got, not "
                         f"{expected['code']}\" >&2; exit 99; }}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def workspace(suite_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated repositories, each committed twice (generated, then a customer's edit)."""
    root = tmp_path_factory.mktemp("docs") / "ws"
    for name, answers in WORKSPACE.items():
        repo = generate(suite_repo, root / name, {"customer_id": "acme", "repo_name": name, **answers})
        git(repo, "init", "-q", "-b", "main")
        commit_all(repo, "Generated from the template suite")
        readme = repo / "README.md"
        readme.write_text(readme.read_text() + "\nOur team's notes.\n")
        commit_all(repo, "README: our notes")
    return root


def test_the_docs_have_examples() -> None:
    where = {w.split("#")[0] for w, _ in examples()}
    assert {"docs/commands/explain.md", "docs/commands/set-trigger.md",
            "docs/commands/add-region.md", "docs/commands/mono-to-separate.md",
            "docs/commands/separate-to-mono.md", "docs/commands/register.md",
            "docs/commands/route-approval.md", "docs/commands/verify-dispatch.md", "docs/commands/adopt.md"} <= where


@pytest.mark.parametrize(("where", "block"), examples(), ids=[w for w, _ in examples()])
def test_example_runs(where: str, block: str, workspace: Path, tmp_path: Path) -> None:
    work = tmp_path / "ws"
    shutil.copytree(workspace, work, symlinks=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", as_script(block)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{where} failed:\n{block}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"

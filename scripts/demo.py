"""The main job end to end: generate each pattern from the suite, then migrate the monorepo."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import yaml

from migrate.suite import render_project, suite_root

CUSTOMER = "acme"
# One repository per pattern; the separate pattern is two repositories (app and infra).
REPOSITORIES: dict[str, dict[str, object]] = {
    "acme-platform": {"pattern": "monorepo"},
    "acme-app": {"pattern": "separate", "repo_role": "app"},
    "acme-infra": {"pattern": "separate", "repo_role": "infra"},
    "acme-services": {"pattern": "multi-service"},
    "acme-regions": {"pattern": "multi-region", "trigger_kinds": ["path", "manual"]},
}
GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "user.name=repo-migrate demo",
       "-c", "user.email=demo@example.com", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def suite_source(scratch: Path) -> str:
    """A git repository of the suite: the project itself, else a one-commit snapshot of it."""
    root = suite_root()
    inside = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                            capture_output=True, text=True)
    if inside.returncode == 0 and Path(inside.stdout.strip()) == root:
        return str(root)
    snapshot = scratch / "suite"
    snapshot.mkdir()
    shutil.copy2(root / "copier.yml", snapshot / "copier.yml")
    shutil.copytree(root / "templates", snapshot / "templates")
    git(snapshot, "init", "-q", "-b", "main")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "suite snapshot")
    return str(snapshot)


def generate_all(out: Path) -> dict[str, Path]:
    """`copier copy` one repository of each pattern into *out*, each git-initialised and committed."""
    out.mkdir(parents=True, exist_ok=True)
    # Copying from a working checkout includes its uncommitted edits; that is the point here.
    from copier.errors import DirtyLocalWarning

    warnings.simplefilter("ignore", DirtyLocalWarning)
    made: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="demo-suite-") as scratch:
        src = suite_source(Path(scratch))
        for name, answers in REPOSITORIES.items():
            dest = out / name
            shutil.rmtree(dest, ignore_errors=True)  # the demo owns these folders; start afresh
            # vcs_ref HEAD: the suite as it is now (Copier would otherwise take the newest tag).
            render_project({"customer_id": CUSTOMER, "repo_name": name, **answers}, dest,
                           vcs_ref="HEAD", src=src)
            git(dest, "init", "-q", "-b", "main")
            git(dest, "add", "-A")
            git(dest, "commit", "-q", "-m", f"Generated from the template suite ({answers['pattern']})")
            made[name] = dest
    return made


def describe(repo: Path) -> str:
    """Where the repository is, its pattern, state keys, and its files."""
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    role = f" ({answers['repo_role']} repository)" if "repo_role" in answers else ""
    lines = [f"{repo}  [{answers['pattern']}{role}, commit {git(repo, 'rev-parse', '--short', 'HEAD').strip()}]"]
    for path in sorted((repo / "infra").glob("*.yml")) if (repo / "infra").is_dir() else []:
        data = yaml.safe_load(path.read_text())
        lines.append(f"    state_key {data['state_key']:<28} <- {path.relative_to(repo)}")
    if "trigger_kinds" in answers:
        lines.append(f"    triggers: {', '.join(answers['trigger_kinds'])}; "
                     f"secret {answers['dispatch_token_secret']}; provider {answers['provider_repo']}")
    files = git(repo, "ls-files").split()
    lines.append(f"    {len(files)} files:")
    lines += [f"      {f}" for f in files]
    return "\n".join(lines)


def main(out: Path) -> int:
    print(f"demo: generating one repository of each pattern into {out}")
    for repo in generate_all(out).values():
        print(describe(repo))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))

"""The main job end to end: generate each pattern from the suite, migrate the monorepo, then the
provider's side: register the customers and follow one dispatch to its approval environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from demo_provider import follow_one_dispatch, register_all

from migrate.suite import render_project, suite_root

CUSTOMER = "acme"
# One repository per pattern; the separate pattern is two repositories (app and infra).
REPOSITORIES: dict[str, dict[str, object]] = {
    "acme-platform": {"pattern": "monorepo"},
    "acme-app": {"pattern": "separate", "repo_role": "app"},
    "acme-infra": {"pattern": "separate", "repo_role": "infra"},
    "acme-services": {"pattern": "multi-service"},
    "acme-regions": {"pattern": "multi-region", "trigger_kinds": ["path", "manual"]},
    # The provider's manager repository, which receives every customer's dispatch.
    "infra-manager": {"pattern": "provider"},
}
GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "user.name=repo-migrate demo",
       "-c", "user.email=demo@example.com", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def suite_source(out: Path) -> str:
    """A git repository of the suite: the project itself when it is a clean checkout, else a
    one-commit snapshot kept in *out* (migrations re-render the suite at the recorded commit,
    which a checkout's uncommitted edits would not have)."""
    root = suite_root()
    inside = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                            capture_output=True, text=True)
    # Copier commits a dirty checkout's edits in a throwaway clone, so its _commit would name a
    # commit that exists nowhere; any uncommitted change sends us to the snapshot.
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                           capture_output=True, text=True).stdout
    if inside.returncode == 0 and Path(inside.stdout.strip()) == root and not dirty:
        return str(root)
    snapshot = out / ".suite-snapshot"
    shutil.rmtree(snapshot, ignore_errors=True)
    snapshot.mkdir(parents=True)
    shutil.copy2(root / "copier.yml", snapshot / "copier.yml")
    shutil.copytree(root / "templates", snapshot / "templates")
    git(snapshot, "init", "-q", "-b", "main")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "suite snapshot")
    return str(snapshot)


def generate_all(out: Path) -> dict[str, Path]:
    """`copier copy` one repository of each pattern into *out*, each git-initialised and committed."""
    out.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    src = suite_source(out)
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


def repo_migrate(*args: str, show: bool = True) -> str:
    """Run the installed CLI as a user would, echoing the command and its output; its stdout."""
    done = subprocess.run([sys.executable, "-m", "migrate", *args], check=True, capture_output=True,
                          text=True)
    if show:
        print(f"\n$ repo-migrate {' '.join(args)}\n{done.stdout}{done.stderr}", end="", flush=True)
    return done.stdout


def migrate_monorepo(out: Path, monorepo: Path) -> None:
    """Split the monorepo into app + infra repositories, then merge them back and compare."""
    infra = out / "acme-platform-infra"
    app = out / "acme-platform-app"
    merged = out / "acme-platform-merged"
    for stale in (infra, app, merged):
        shutil.rmtree(stale, ignore_errors=True)
    repo_migrate("mono-to-separate", str(monorepo), "--infra-repo", str(infra), "--dry-run")
    repo_migrate("mono-to-separate", str(monorepo), "--infra-repo", str(infra))
    # The app result is a branch of the monorepo; a clone of that branch is the app repository.
    subprocess.run([*GIT, "clone", "-q", "--no-local", "-b", "repo-migrate/mono-to-separate",
                    str(monorepo), str(app)], check=True)
    print(describe(infra))
    print(describe(app))
    repo_migrate("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(merged))
    print(describe(merged))
    repo_migrate("explain", "--repo", str(merged), "--changed", "infra/variables.yml",
                 "--changed", "app/src/main.py")
    before = tracked_bytes(monorepo)
    after = tracked_bytes(merged)
    differ = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    print(f"round trip: {len(before)} files in the original monorepo, {len(after)} after "
          f"mono-to-separate + separate-to-mono; differing: {differ or 'none'}")


def tracked_bytes(repo: Path) -> dict[str, bytes]:
    """Every tracked file of *repo*'s HEAD with its bytes."""
    return {p: (repo / p).read_bytes() for p in git(repo, "ls-files").split()}


def main(out: Path) -> int:
    print(f"demo: generating one repository of each pattern into {out}")
    made = generate_all(out)
    for repo in made.values():
        print(describe(repo))
    print("\ndemo: migrating the monorepo to separate repositories and back")
    migrate_monorepo(out, made["acme-platform"])
    print("\ndemo: the provider registers the customers' repositories in infra-manager")
    register_all(out, made["infra-manager"], repo_migrate, git)
    follow_one_dispatch(out, made["infra-manager"], repo_migrate, git)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))

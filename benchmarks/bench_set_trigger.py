"""Benchmark: set-trigger over 1,000 workflow files beside ruamel.yaml merely loading them.

Builds a git repository holding 1,000 trigger workflows (the 120 real workflows of
../shared/corpus/workflows, cycled, each copy made distinct by a comment line), then times, in
one run:
  baseline  ruamel.yaml's default (round-trip) loader reading each of the 1,000 files;
  measured  the whole set-trigger command core (--on tag --tags 'v*' --on manual): read HEAD,
            splice every file, apply in a scratch clone, commit, verify, publish the branch.
Also shown, not judged: the splicing core alone (no git). Target: measured <= 1.5x baseline.

    .venv/bin/python benchmarks/bench_set_trigger.py [--files N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from migrate.commands import set_trigger
from migrate.trigger_spec import make_spec
from migrate.triggers import set_triggers

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "workflows"
TARGET = 1.5
ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"}


def build_repo(root: Path, n: int) -> list[Path]:
    """A committed repository with *n* workflows under .github/workflows/trigger-infra-*.yml."""
    sources = sorted(CORPUS.glob("*.y*ml"))
    if not sources:
        sys.exit(f"corpus not found at {CORPUS}")
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    (root / "infra").mkdir()
    (root / "infra" / "variables.yml").write_text("environments: [staging, production]\n")
    files = []
    for i in range(n):
        data = sources[i % len(sources)].read_bytes()
        target = wf / f"trigger-infra-{i:04d}.yml"
        target.write_bytes(f"# copy {i}\n".encode() + data)
        files.append(target)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "corpus"]):
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-C", str(root), *args],
                       check=True, env=ENV)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-set-trigger-") as tmp:
        repo = Path(tmp) / "repo"
        files = build_repo(repo, args.files)

        start = time.perf_counter()
        for path in files:
            YAML().load(path.read_text(encoding="utf-8"))
        baseline = time.perf_counter() - start

        os.environ.update(ENV)  # the command's git runs with a pinned identity, no user config
        start = time.perf_counter()
        applied = set_trigger.run(set_trigger.Settings(repo=repo, kinds=("tag", "manual"), tags=("v*",)))
        measured = time.perf_counter() - start
        assert applied.changed and len(applied.planned.plans[0].changes) == len(files)

        spec = make_spec(["tag", "manual"], tags=["v*"])
        texts = [p.read_bytes().decode("utf-8") for p in files]
        start = time.perf_counter()
        for i, text in enumerate(texts):
            set_triggers(text, spec, str(i))
        core = time.perf_counter() - start

    ratio = measured / baseline
    print(f"files:                                    {len(files)}")
    print(f"baseline  ruamel.yaml load (round-trip):  {baseline:8.3f} s")
    print(f"measured  set-trigger (plan+apply, git):  {measured:8.3f} s")
    print(f"          splicing core alone (no git):   {core:8.3f} s  ({core / baseline:.2f}x)")
    print(f"ratio measured/baseline: {ratio:.2f}x (target <= {TARGET}x): "
          + ("PASS" if ratio <= TARGET else "FAIL"))
    sys.exit(0 if ratio <= TARGET else 1)


if __name__ == "__main__":
    main()

"""Benchmark: `copier copy` of each pattern beside `copier copy` of a one-file template.

Both templates are git repositories (tag v1), as customers copy them; each measurement is the
whole process (`.venv/bin/copier copy --trust --defaults --quiet`, Python start-up included),
the median of --repeat runs. Runs are interleaved (baseline, monorepo, ..., baseline, ...) so a
busy machine slows both sides alike; the ratios come from one run. Target: <= 1.5x.

    .venv/bin/python benchmarks/bench_copy.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIER = str(Path(sys.executable).parent / "copier")
TARGET = 1.5
ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}
CASES = {
    "monorepo": ["-d", "pattern=monorepo"],
    "separate (app)": ["-d", "pattern=separate", "-d", "repo_role=app"],
    "separate (infra)": ["-d", "pattern=separate", "-d", "repo_role=infra"],
    "multi-service": ["-d", "pattern=multi-service"],
    "multi-region": ["-d", "pattern=multi-region"],
}


def git_repo(path: Path) -> Path:
    """Commit everything in *path* as a git repository tagged v1."""
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "v1"], ["tag", "v1"]):
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-C", str(path), *args], check=True, env=ENV)
    return path


def copy_seconds(src: Path, dest: Path, args: list[str]) -> float:
    """Wall-clock seconds of one whole `copier copy` process."""
    shutil.rmtree(dest, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([COPIER, "copy", "--trust", "--defaults", "--quiet", *args, str(src), str(dest)],
                   check=True, env=ENV, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-copy-") as tmp:
        work = Path(tmp)
        suite = work / "suite"
        suite.mkdir()
        shutil.copy2(ROOT / "copier.yml", suite / "copier.yml")
        shutil.copytree(ROOT / "templates", suite / "templates")
        git_repo(suite)
        one = work / "one-file"
        one.mkdir()
        (one / "copier.yml").write_text("project_name:\n  type: str\n  default: demo\n")
        (one / "README.md.jinja").write_text("# {{ project_name }}\n")
        git_repo(one)

        times: dict[str, list[float]] = {"one-file template": [], **{case: [] for case in CASES}}
        copy_seconds(one, work / "warm", [])  # warm the OS caches before measuring anything
        for _ in range(options.repeat):
            for case, args in CASES.items():
                times["one-file template"].append(copy_seconds(one, work / "out-one", []))
                times[case].append(copy_seconds(suite, work / "out", ["-d", "customer_id=acme", *args]))
        baseline = statistics.median(times["one-file template"])

    print(f"copier copy, whole process, median of {options.repeat} (baseline: one-file template)")
    print(f"{'template':<20} {'median s':>9} {'ratio':>7}")
    print(f"{'one-file template':<20} {baseline:>9.3f} {'1.00x':>7}")
    worst = 0.0
    for case in CASES:
        median = statistics.median(times[case])
        worst = max(worst, median / baseline)
        print(f"{case:<20} {median:>9.3f} {median / baseline:>6.2f}x")
    verdict = "meets" if worst <= TARGET else "MISSES"
    print(f"worst ratio {worst:.2f}x {verdict} the target of {TARGET:.1f}x")


if __name__ == "__main__":
    main()

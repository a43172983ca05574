"""Side by side: `repo-migrate mono-to-separate` vs a fresh clone + bare `git filter-repo --path infra/`.

    python benchmarks/bench_mono_to_separate.py [--commits 5000 20000] [--repeat 3]

For each size, generates the synthetic monorepo (benchmarks/gen_monorepo.py), then times, on
the same repository and alternating the two so that load hits both alike:
  - baseline: `git clone --no-local REPO X && git -C X filter-repo --path infra/` (and the same
    after a plain local clone, which hardlinks objects as repo-migrate's scratch clone does)
  - ours:     `repo-migrate mono-to-separate REPO --infra-repo DEST` (both results, verified)
Each run happens in a fresh wrapper process that reports wall time and the peak resident memory
of everything it started (getrusage(RUSAGE_CHILDREN).ru_maxrss). Prints the best-of-N times, the
ratio ours/baseline (target <= 1.5) and peak memory per size (target: flat as commits grow).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_monorepo import generate

BIN = Path(sys.executable).parent
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
for cmd in json.loads(sys.argv[1]):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps([time.perf_counter() - start,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))
"""


def measure(cmds: list[list[str]]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB of any process started) for *cmds* run one after another."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, json.dumps(cmds)], check=True,
                         capture_output=True, text=True)
    seconds, rss = json.loads(out.stdout)
    return seconds, rss


def baseline(repo: Path, work: Path, *, local: bool = False) -> list[list[str]]:
    """Fresh clone (``--no-local``, as filter-repo's docs advise; or a local hardlink clone)."""
    clone = work / "clone"
    how = [] if local else ["--no-local"]
    # A local clone copies loose objects, which filter-repo's fresh-clone check refuses without
    # --force (repo-migrate passes --force to its own scratch clone too).
    force = " --force" if local else ""
    return [["git", "clone", "-q", *how, str(repo), str(clone)],
            ["sh", "-c", f'cd "{clone}" && "{BIN / "git-filter-repo"}" --quiet{force} --path infra/']]


def baseline_local(repo: Path, work: Path) -> list[list[str]]:
    return baseline(repo, work, local=True)


def ours(repo: Path, work: Path) -> list[list[str]]:
    return [[str(BIN / "repo-migrate"), "mono-to-separate", str(repo), "--infra-repo",
             str(work / "infra"), "--branch", f"bench-{work.name}"]]


def run_size(commits: int, repeat: int, root: Path) -> dict[str, float]:
    repo = generate(root / f"mono-{commits}", commits)
    runs = (("baseline", baseline), ("baseline_local", baseline_local), ("ours", ours))
    best = {name: float("inf") for name, _ in runs}
    peak = {name: 0 for name, _ in runs}
    for i in range(repeat):
        for name, make in runs:
            work = root / f"{name}-{commits}-{i}"
            work.mkdir()
            seconds, rss = measure(make(repo, work))
            best[name] = min(best[name], seconds)
            peak[name] = max(peak[name], rss)
            shutil.rmtree(work)
    return {"commits": commits, "baseline_s": best["baseline"], "local_s": best["baseline_local"],
            "ours_s": best["ours"], "ratio": best["ours"] / best["baseline"],
            "ratio_local": best["ours"] / best["baseline_local"],
            "baseline_peak_mib": peak["baseline"] / 1024, "ours_peak_mib": peak["ours"] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-m2s-") as tmp:
        rows = [run_size(n, args.repeat, Path(tmp)) for n in args.commits]
    print("baseline: git clone --no-local + git filter-repo --path infra/; local: the same after "
          "a local (hardlink) clone; ratio = ours / baseline, best of", args.repeat)
    print(f"{'commits':>8} {'baseline s':>11} {'local s':>8} {'ours s':>8} {'ratio':>6} "
          f"{'vs local':>9} {'base MiB':>9} {'ours MiB':>9}")
    for r in rows:
        print(f"{r['commits']:>8} {r['baseline_s']:>11.2f} {r['local_s']:>8.2f} {r['ours_s']:>8.2f} "
              f"{r['ratio']:>6.2f} {r['ratio_local']:>9.2f} {r['baseline_peak_mib']:>9.1f} "
              f"{r['ours_peak_mib']:>9.1f}")
    if len(rows) > 1:
        growth = rows[-1]["ours_peak_mib"] / rows[0]["ours_peak_mib"]
        print(f"peak memory of ours, {rows[-1]['commits']} vs {rows[0]['commits']} commits: "
              f"x{growth:.2f}")


if __name__ == "__main__":
    main()

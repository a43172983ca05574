"""Side by side: `repo-migrate mono-to-separate` and `separate-to-mono` vs what git does alone.

    python benchmarks/bench_mono_to_separate.py [--commits 100 5000 20000] [--files 350] [--repeat 3]

For each size, generates the synthetic monorepo (benchmarks/gen_monorepo.py), then times, on
the same repository and alternating the runs so that load hits all alike:
  - mono-to-separate, baseline: `git clone --no-local REPO X && git -C X filter-repo --path infra/`
    (and the same after a plain local clone, which hardlinks objects as our scratch clone does);
    ours: `repo-migrate mono-to-separate REPO --infra-repo DEST` (both results, verified);
  - separate-to-mono, on the two results of one split: baseline: two fresh clones
    (`--no-local`), `git filter-repo --to-subdirectory-filter app` in the app clone, and a merge
    of the infra clone (`--allow-unrelated-histories`); ours: `repo-migrate separate-to-mono`.
Each run happens in a fresh wrapper process that reports wall time and the peak resident memory
of everything it started (getrusage(RUSAGE_CHILDREN).ru_maxrss). Prints the best-of-N times, the
ratio ours/baseline, the time above the baseline, and peak memory per size. Targets
(mono-to-separate): at most 1.3x at 5,000 commits; at most 0.6 s above the baseline at 100.
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


def merge_baseline(pair: tuple[Path, Path], work: Path) -> list[list[str]]:
    """Two fresh clones, the app moved under app/ by filter-repo, and a merge of the infra."""
    app, infra = pair
    a, i = work / "app", work / "infra"
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    return [["git", "clone", "-q", "--no-local", str(app), str(a)],
            ["git", "clone", "-q", "--no-local", str(infra), str(i)],
            ["sh", "-c", f'cd "{a}" && "{BIN / "git-filter-repo"}" --quiet --to-subdirectory-filter app'],
            [*git, "-C", str(a), "fetch", "-q", str(i), "main:refs/heads/infra"],
            [*git, "-C", str(a), "merge", "-q", "--allow-unrelated-histories", "-m", "merge", "infra"]]


def merge_ours(pair: tuple[Path, Path], work: Path) -> list[list[str]]:
    app, infra = pair
    return [[str(BIN / "repo-migrate"), "separate-to-mono", "--app", str(app), "--infra", str(infra),
             "--dest", str(work / "mono")]]


def split_once(repo: Path, root: Path) -> tuple[Path, Path]:
    """The app repository (a clone of the result branch) and the infra repository of one split."""
    infra, app = root / "pair-infra", root / "pair-app"
    subprocess.run(ours(repo, root / "pair")[0][:4] + [str(infra), "--branch", "bench-pair"],
                   check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "-b", "bench-pair", str(repo), str(app)], check=True)
    subprocess.run(["git", "-C", str(app), "branch", "-q", "-m", "main"], check=True)
    subprocess.run(["git", "-C", str(app), "remote", "remove", "origin"], check=True)
    return app, infra


def best_of(runs: dict[str, tuple[object, object]], repeat: int, root: Path,
            tag: str) -> tuple[dict[str, float], dict[str, int]]:
    best = {name: float("inf") for name in runs}
    peak = dict.fromkeys(runs, 0)
    for i in range(repeat):
        for name, (make, source) in runs.items():
            work = root / f"{name}-{tag}-{i}"
            work.mkdir()
            seconds, rss = measure(make(source, work))  # type: ignore[operator]
            best[name] = min(best[name], seconds)
            peak[name] = max(peak[name], rss)
            shutil.rmtree(work)
    return best, peak


def run_size(commits: int, files: int, repeat: int, root: Path) -> dict[str, float]:
    repo = generate(root / f"mono-{commits}", commits, files=files)
    best, peak = best_of({"baseline": (baseline, repo), "baseline_local": (baseline_local, repo),
                          "ours": (ours, repo)}, repeat, root, str(commits))
    pair = split_once(repo, root / f"split-{commits}")
    merged, _ = best_of({"merge_baseline": (merge_baseline, pair), "merge_ours": (merge_ours, pair)},
                        repeat, root, f"m{commits}")
    return {"commits": commits, "baseline_s": best["baseline"], "local_s": best["baseline_local"],
            "ours_s": best["ours"], "ratio": best["ours"] / best["baseline"],
            "ratio_local": best["ours"] / best["baseline_local"],
            "baseline_peak_mib": peak["baseline"] / 1024, "ours_peak_mib": peak["ours"] / 1024,
            "merge_baseline_s": merged["merge_baseline"], "merge_ours_s": merged["merge_ours"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[100, 5000, 20000])
    parser.add_argument("--files", type=int, default=350)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-m2s-") as tmp:
        rows = [run_size(n, args.files, args.repeat, Path(tmp)) for n in args.commits]
    print(f"mono-to-separate ({args.files} files): baseline = git clone --no-local + git filter-repo "
          "--path infra/; local = the same after a local (hardlink) clone; ratio = ours / baseline; "
          f"above = ours - baseline; best of {args.repeat}")
    print(f"{'commits':>8} {'baseline s':>11} {'local s':>8} {'ours s':>8} {'ratio':>6} "
          f"{'above s':>8} {'vs local':>9} {'base MiB':>9} {'ours MiB':>9}")
    for r in rows:
        print(f"{r['commits']:>8} {r['baseline_s']:>11.2f} {r['local_s']:>8.2f} {r['ours_s']:>8.2f} "
              f"{r['ratio']:>6.2f} {r['ours_s'] - r['baseline_s']:>8.2f} {r['ratio_local']:>9.2f} "
              f"{r['baseline_peak_mib']:>9.1f} {r['ours_peak_mib']:>9.1f}")
    print("\nseparate-to-mono on the two results: baseline = two fresh clones, filter-repo "
          "--to-subdirectory-filter app, and a merge")
    print(f"{'commits':>8} {'baseline s':>11} {'ours s':>8} {'ratio':>6}")
    for r in rows:
        print(f"{r['commits']:>8} {r['merge_baseline_s']:>11.2f} {r['merge_ours_s']:>8.2f} "
              f"{r['merge_ours_s'] / r['merge_baseline_s']:>6.2f}")
    if len(rows) > 1:
        growth = rows[-1]["ours_peak_mib"] / rows[0]["ours_peak_mib"]
        print(f"peak memory of ours, {rows[-1]['commits']} vs {rows[0]['commits']} commits: "
              f"x{growth:.2f}")


if __name__ == "__main__":
    main()

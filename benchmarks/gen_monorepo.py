"""Generate a deterministic synthetic monorepo (git fast-import): N commits, hundreds of files, merges.

    python benchmarks/gen_monorepo.py DEST --commits 5000 [--files 400] [--seed 1]

Same arguments, same repository, commit ids included: authors, dates and contents come from a
seeded generator. About one commit in eight touches infra/ (variables files), one in fifty is a
merge of a short side branch, the rest edit app/ source files; the layout is the monorepo
pattern's (app/, infra/variables.yml, .github/workflows/trigger-infra.yml and app-ci.yml).
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

AUTHORS = [("Alice Admin", "alice@acme.test"), ("Bob Builder", "bob@acme.test"),
           ("Carol Cloud", "carol@acme.test"), ("Dan Dev", "dan@acme.test"),
           ("Eve Ops", "eve@acme.test")]
START = 1_600_000_000  # 2020-09-13, then one commit every ~37 minutes
TRIGGER = b"""name: trigger-infra
on:
  push:
    paths: ['infra/**']
permissions: {}
jobs:
  dispatch:
    runs-on: ubuntu-latest
    steps:
      - run: echo dispatch
"""
APP_CI = b"""name: app-ci
on:
  push:
    paths: ['app/**']
jobs:
  test:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: app
    steps:
      - run: python -m unittest
"""


class Stream:
    """Writes a fast-import stream with inline file data."""

    def __init__(self, out) -> None:  # type: ignore[no-untyped-def]
        self.out = out
        self.mark = 0

    def data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload) + payload + b"\n")

    def commit(self, ref: str, when: int, author: tuple[str, str], message: str,
               files: dict[str, bytes], parents: list[int]) -> int:
        self.mark += 1
        ident = f"{author[0]} <{author[1]}> {when} +0000".encode()
        self.out.write(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.out.write(b"author " + ident + b"\ncommitter " + ident + b"\n")
        self.data(message.encode())
        for i, parent in enumerate(parents):
            self.out.write(f"{'from' if i == 0 else 'merge'} :{parent}\n".encode())
        for path, content in sorted(files.items()):
            self.out.write(f"M 100644 inline {path}\n".encode())
            self.data(content)
        return self.mark


def _module(rng: random.Random, name: str) -> bytes:
    lines = [f"# {name}\n"] + [f"VALUE_{i} = {rng.randrange(10**6)}\n" for i in range(12)]
    return "".join(lines).encode()


def _variables(rng: random.Random, env: str) -> bytes:
    return (f"# Variables ({env}).\ncustomer_id: acme\nstate_key: acme/acme-platform\n"
            f"region: us-east-1\ncompute:\n  min_instances: {rng.randrange(1, 4)}\n"
            f"  max_instances: {rng.randrange(4, 20)}\n").encode()


def generate(dest: Path, commits: int, files: int = 400, seed: int = 1) -> Path:
    """Create the repository at *dest* (must not exist) and return it."""
    rng = random.Random(seed)
    app_files = [f"app/src/pkg{i % 20:02d}/mod_{i:04d}.py" for i in range(files)]
    infra_files = ["infra/variables.yml", "infra/README.md"]
    state = {p: _module(rng, p) for p in app_files}
    state["infra/variables.yml"] = _variables(rng, "main")
    state["infra/README.md"] = b"What the variables mean.\n"
    state[".github/workflows/trigger-infra.yml"] = TRIGGER
    state[".github/workflows/app-ci.yml"] = APP_CI
    state["README.md"] = b"# acme platform (synthetic)\n"
    dest.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    proc = subprocess.Popen(["git", "-C", str(dest), "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    s = Stream(proc.stdin)
    when = START
    head = s.commit("refs/heads/main", when, AUTHORS[0], "initial layout", dict(state), [])
    made = 1
    while made < commits:
        when += rng.randrange(600, 3800)
        if made % 50 == 25 and commits - made > 4:  # a short side branch, merged back
            side = head
            for k in range(3):
                path = rng.choice(app_files if k else infra_files[:1])
                state[path] = (_module(rng, path) if path.startswith("app/")
                               else _variables(rng, f"side {made}"))
                side = s.commit("refs/heads/side", when + k, rng.choice(AUTHORS),
                                f"side work {made}.{k}", {path: state[path]}, [side])
            head = s.commit("refs/heads/main", when + 10, rng.choice(AUTHORS), f"Merge side {made}",
                            {}, [head, side])
            made += 4
            continue
        if rng.random() < 0.125:
            path = rng.choice(infra_files)
            state[path] = (_variables(rng, f"c{made}") if path.endswith(".yml")
                           else state[path] + f"Note {made}.\n".encode())
        else:
            path = rng.choice(app_files)
            state[path] = _module(rng, path)
        head = s.commit("refs/heads/main", when, rng.choice(AUTHORS), f"change {made}: {path}",
                        {path: state[path]}, [head])
        made += 1
    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(dest), "branch", "-q", "-D", "side"], check=False)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", "-f", "main"], check=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    repo = generate(args.dest, args.commits, args.files, args.seed)
    count = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"{repo}: {count} commits")


if __name__ == "__main__":
    main()

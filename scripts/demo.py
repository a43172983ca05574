"""The main job end to end: generate each pattern from the suite, then migrate the monorepo."""

from __future__ import annotations

import sys
from pathlib import Path


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    print(f"demo: output in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))

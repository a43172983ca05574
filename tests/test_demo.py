"""The README's main job, end to end: every pattern generated, the monorepo split and merged back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, git


def test_demo_generates_every_pattern_and_round_trips_the_monorepo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert made == ["acme-app", "acme-infra", "acme-platform", "acme-platform-app",
                    "acme-platform-infra", "acme-platform-merged", "acme-regions", "acme-services"]
    assert done.stdout.rstrip().endswith(
        "round trip: 11 files in the original monorepo, 11 after mono-to-separate + "
        "separate-to-mono; differing: none")
    # The infra repository keeps the monorepo's state address.
    assert "\nstate_key: acme/acme-platform\n" in (
        out / "acme-platform-infra" / "infra" / "variables.yml").read_text()
    # Every result is committed and clean.
    for name in made:
        assert git(out / name, "status", "--porcelain") == ""

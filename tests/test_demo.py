"""The README's main job, end to end: every pattern generated, the monorepo split and merged back,
the customers registered at the provider, and one dispatch followed to its approval environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from migrate.registry import load_registry
from tests.helpers import ROOT, git


def test_demo_generates_every_pattern_round_trips_and_routes_a_dispatch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert made == ["acme-app", "acme-infra", "acme-platform", "acme-platform-app",
                    "acme-platform-infra", "acme-platform-merged", "acme-regions", "acme-services",
                    "infra-manager"]
    assert ("\nround trip: 11 files in the original monorepo, 11 after mono-to-separate + "
            "separate-to-mono; differing: none\n") in done.stdout
    # The infra repository keeps the monorepo's state address.
    assert "\nstate_key: acme/acme-platform\n" in (
        out / "acme-platform-infra" / "infra" / "variables.yml").read_text()
    # The registry: every infra repository, the monorepo's key moved to the infra repository.
    registry = load_registry(out / "infra-manager")
    owners = {key: (o.repository.name, o.file.path) for key in (
        "acme/acme-platform", "acme/acme-infra", "acme/acme-services/api", "acme/eu-west-1")
        if (o := registry.owner_of(key)) is not None}
    assert owners == {"acme/acme-platform": ("acme-org/acme-platform-infra", "infra/variables.yml"),
                      "acme/acme-infra": ("acme-org/acme-infra", "infra/variables.yml"),
                      "acme/acme-services/api": ("acme-org/acme-services", "infra/api-vars.yml"),
                      "acme/eu-west-1": ("acme-org/acme-regions", "infra/eu-west-variables.yml")}
    assert [r.name for c in registry.customers for r in c.repositories] == [
        "acme-org/acme-infra", "acme-org/acme-services", "acme-org/acme-regions", "acme-org/acme-platform-infra"]
    # One push travels to its approval environment (the workflow's scripts need jq and curl).
    if all(shutil.which(tool) for tool in ("jq", "curl")):
        sha = git(out / "acme-regions", "rev-parse", "HEAD").strip()
        assert done.stdout.endswith(
            f"\ndispatch: acme-org/acme-regions@{sha[:12]} infra/eu-west-variables.yml -> state "
            "acme/eu-west-1/production/terraform.tfstate -> approval environment database-approval\n")
    else:
        assert "demo: skipped the dispatch" in done.stdout
    # Every result is committed and clean.
    for name in made:
        assert git(out / name, "status", "--porcelain") == ""

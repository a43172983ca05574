"""The toolkit installed without the suite (pip install git+..., as the provider's workflow does)
still has its own copy of the provider's schemas: package data, copied as files into a build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from migrate import provider_schemas
from tests.helpers import ROOT

SCHEMAS = {"registry.schema.json": provider_schemas.REGISTRY_SCHEMA,
           "approvals.schema.json": provider_schemas.APPROVALS_SCHEMA}


def test_the_schemas_are_links_to_the_suites_files():
    for name, suite_path in SCHEMAS.items():
        link = ROOT / "migrate" / "schemas" / name
        assert link.is_symlink() and link.resolve() == (ROOT / suite_path).resolve()


def test_a_build_carries_the_schemas_as_files(tmp_path: Path):
    """setuptools' build_py (what a wheel is made of) copies the linked files' bytes."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "migrate", src / "migrate", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for suite_path in SCHEMAS.values():
        (src / suite_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / suite_path, src / suite_path)
    done = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                           "build_py", "--build-lib", str(tmp_path / "lib")],
                          cwd=src, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name, suite_path in SCHEMAS.items():
        built = tmp_path / "lib" / "migrate" / "schemas" / name
        assert not built.is_symlink()
        assert built.read_bytes() == (ROOT / suite_path).read_bytes()

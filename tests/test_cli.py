from __future__ import annotations

import subprocess
import sys

from migrate import __version__


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args], capture_output=True, text=True
    )


def test_version_prints_package_version() -> None:
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout == f"repo-migrate {__version__}\n"


def test_help_shows_exit_code_table() -> None:
    out = run_cli("--help")
    assert out.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130"):
        assert code in out.stdout


def test_unknown_option_is_a_usage_error() -> None:
    out = run_cli("--bogus")
    assert out.returncode == 2
    assert "No such option: --bogus" in out.stderr

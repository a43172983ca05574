"""What set-trigger is asked for: trigger kinds, their filter globs (checked against GitHub's
syntax) and the environments a manual run offers.

API
---
- ``KINDS``, ``FILTER_KEYS``, ``DEFAULT_ENVIRONMENTS``, ``ALL_BRANCHES``, ``ENV_DESCRIPTION``.
- ``TriggerSpec``: ``push`` (on.push as asked), ``manual``, ``environment_input`` (whether a
  manual run gets the provider's ``environment`` choice input), ``env_input()``.
- ``make_spec(kinds, paths=, branches=, tags=, environments=)``: check the options, build the spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.errors import InvalidPattern, Refused
from migrate.filters import validate_pattern

KINDS = ("path", "branch", "tag", "manual")
FILTER_KEYS = {"branch": "branches", "tag": "tags", "path": "paths"}  # the order they are written
DEFAULT_ENVIRONMENTS = ("staging", "production")
# The branches of the `path` kind without `branch` (what templates/_shared/workflows.jinja writes).
ALL_BRANCHES = ("**",)
# Same words as the trigger workflow the template suite generates (templates/_shared/workflows.jinja).
ENV_DESCRIPTION = "Environment at the provider to plan and apply"


@dataclass(frozen=True)
class TriggerSpec:
    """The triggers asked for: kinds, their globs, and the environments a manual run offers."""

    kinds: tuple[str, ...]
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    environments: tuple[str, ...] = field(default=DEFAULT_ENVIRONMENTS)
    # A trigger-infra workflow's manual run names the provider's environment; any other workflow
    # gets a bare `workflow_dispatch:` (its jobs know nothing of the provider's environments).
    environment_input: bool = True

    @property
    def push(self) -> dict[str, list[str]]:
        """on.push as asked ({} when no push kind is asked), with the template suite's meaning
        of `path`: without `branch` it also lists every branch (`"**"`), because GitHub ignores
        paths for tag pushes (a paths-only push runs for every tag) and with tags but no
        branches it would run for no branch push at all."""
        branches = self.branches if "branch" in self.kinds else ALL_BRANCHES if "path" in self.kinds else ()
        values = {"branch": branches, "tag": self.tags, "path": self.paths}
        return {key: list(values[k]) for k, key in FILTER_KEYS.items() if values[k]}

    @property
    def manual(self) -> bool:
        """True when manual runs (on.workflow_dispatch) are asked for."""
        return "manual" in self.kinds

    def env_input(self) -> dict[str, Any]:
        """The ``environment`` choice input of a manual run, as the template suite writes it."""
        return {
            "description": ENV_DESCRIPTION,
            "type": "choice",
            "required": True,
            "default": self.environments[0],
            "options": list(self.environments),
        }


def make_spec(
    kinds: Sequence[str],
    *,
    paths: Sequence[str] = (),
    branches: Sequence[str] = (),
    tags: Sequence[str] = (),
    environments: Sequence[str] = DEFAULT_ENVIRONMENTS,
) -> TriggerSpec:
    """Check the options (kinds known, every glob valid and used) and build the spec."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise Refused(
            f"unknown trigger kind {unknown[0]!r}" if unknown else "no trigger kind given",
            f"pass --on with one of: {', '.join(KINDS)} (repeat --on for several)",
        )
    given = {"path": ("--paths", paths), "branch": ("--branches", branches), "tag": ("--tags", tags)}
    for kind, (option, globs) in given.items():
        if kind in kinds and not globs:
            raise Refused(f"--on {kind} needs at least one {option} GLOB",
                          f"add {option} GLOB (repeat it for several), e.g. "
                          + {"path": "--paths 'infra/**'", "branch": "--branches main",
                             "tag": "--tags 'v*'"}[kind])
        if globs and kind not in kinds:
            raise Refused(f"{option} was given but --on {kind} was not",
                          f"add --on {kind}, or drop {option}")
        for glob in globs:
            try:
                validate_pattern(glob)
            except InvalidPattern as exc:
                raise InvalidPattern(f"{option} {glob!r}: {exc.problem}", exc.fix) from None
    if not environments:
        environments = DEFAULT_ENVIRONMENTS
    ordered = tuple(k for k in KINDS if k in kinds)
    return TriggerSpec(ordered, tuple(branches), tuple(tags), tuple(paths), tuple(environments))

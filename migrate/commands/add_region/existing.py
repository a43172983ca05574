"""add-region's view of what a repository has: its regions (files, triggers, answers, and the
regions its variables files already deploy) and the variables file to copy.

API
---
- ``answers_of(files)``, ``listed_regions(answers)``, ``region_files(files)``.
- ``existing_regions(files, answers)``: the region names the repository has.
- ``refuse_deployed_region(region, cloud_region, variables)``: refuse a region a variables file
  already deploys (its ``region.name``, or the same cloud region).
- ``choose_source(files, answers, from_region)``: the variables file to copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrate import regions
from migrate.commands.add_region.variables import Variables, read_variables
from migrate.contract import ANSWERS_FILE, SHARED_VARIABLES, read_answers
from migrate.errors import Refused


def answers_of(files: Mapping[str, bytes]) -> dict[str, Any] | None:
    """The Copier answers among *files* (None when there are none)."""
    return read_answers(files.get(ANSWERS_FILE))


def listed_regions(answers: Mapping[str, object] | None) -> list[str] | None:
    """The answers' regions list, or None."""
    listed = answers.get("regions") if answers else None
    return [str(r) for r in listed] if isinstance(listed, list) else None


def region_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """``{region: its variables file}`` of the per-region files among *files*."""
    found = {r: p for p in files if (r := regions.region_of_file(p)) is not None}
    return dict(sorted(found.items()))


def existing_regions(files: Mapping[str, bytes], answers: Mapping[str, object] | None) -> set[str]:
    """Regions the repository has: a variables file, a trigger, or (multi-region) an answer."""
    names = set(region_files(files))
    names.update(p[len(".github/workflows/trigger-infra-"):].rsplit(".", 1)[0]
                 for p in files if p.startswith(".github/workflows/trigger-infra-"))
    # Other patterns list regions too, but deploy only to the first: only multi-region's list
    # says which regions exist.
    if answers and answers.get("pattern") == "multi-region":
        names.update(listed_regions(answers) or [])
    return names


def choose_source(files: Mapping[str, bytes], answers: Mapping[str, object] | None,
                  from_region: str | None) -> str:
    """The variables file to copy: --from's, else the first region's, else infra/variables.yml."""
    by_region = region_files(files)
    if from_region is not None:
        regions.validate_region_name(from_region)
        if from_region not in by_region:
            have = ", ".join(by_region) or "none"
            raise Refused(f"--from {from_region}: there is no {regions.region_file(from_region)} "
                          f"(regions with a variables file: {have})",
                          "pass --from with one of those regions, or leave it out")
        return by_region[from_region]
    # A repository with infra/variables.yml (a monorepo or infra repository that already got a
    # region) copies its main file, unless it is a multi-region one or that file has no region.
    multi = answers is not None and answers.get("pattern") == "multi-region"
    if SHARED_VARIABLES in files and not multi and (
            not by_region or read_variables(SHARED_VARIABLES, files[SHARED_VARIABLES]).cloud_region):
        return SHARED_VARIABLES
    if by_region:
        for name in listed_regions(answers) or []:
            if name in by_region:
                return by_region[name]
        return next(iter(by_region.values()))
    if SHARED_VARIABLES in files:
        return SHARED_VARIABLES
    raise Refused("found no variables file to copy (neither infra/variables.yml nor "
                  "infra/<region>-variables.yml)",
                  "run add-region in a customer repository that has its infra/ variables, "
                  "or pass --repo PATH")


def refuse_deployed_region(region: str, cloud: str, files: Sequence[Variables]) -> None:
    """A variables file that already deploys the region (by its region.name or its cloud region,
    such as a monorepo's infra/variables.yml) means the region exists."""
    for other in files:
        if other.name == region or other.cloud_region == cloud:
            raise Refused(
                f"the region {region} already exists: {other.path} deploys "
                + (f"region {other.name} " if other.name else "")
                + f"in {other.cloud_region}" + (f" (the cloud region of {region})"
                                                 if other.name != region else ""),
                "pick a region that has no variables file yet; to change this one, edit "
                f"{other.path}")

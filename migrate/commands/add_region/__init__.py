"""`repo-migrate add-region`: add a region by copying an existing region's files.

The new `infra/<region>-variables.yml` is the source variables file's text with only the
region-specific values spliced in (every comment and customer value stays; ``variables``); the
new trigger workflow is filtered to that file and existing triggers stop firing for it
(``triggers``); the Copier answers record the region, and the files the suite renders from the
regions (the READMEs) follow, so that `copier update` keeps the files.

Which regions the repository has and which file is copied: ``existing``. A region a variables
file already deploys is refused, and so is a repository whose routing is already broken (a
variables file dispatched twice for one event of some trigger kind, or never; a workflow GitHub
refuses), before any work.

``plan(settings)`` reads the repository at HEAD (``plan_add_region`` is the pure part, from the
files to the plan); ``apply(planned)`` commits it on a new branch, checked by ``verify``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from migrate import gitops, locks, regions, suite, yaml_splice
from migrate.commands.add_region.existing import (
    answers_of,
    choose_source,
    existing_regions,
    listed_regions,
    refuse_deployed_region,
)
from migrate.commands.add_region.triggers import NewRegion, exclude_from_existing, new_trigger
from migrate.commands.add_region.variables import Variables, new_variables_text, read_variables
from migrate.contract import (
    ANSWERS_FILE,
    is_workflow_file,
    load_yaml,
    variables_files,
)
from migrate.errors import Refused, VerificationFailed
from migrate.plan import AnswersChange, Applied, FileWrite, Note, Plan, default_branch
from migrate.publish import apply_to_branch
from migrate.routing import (
    MAIN,
    branch_ref,
    refuse_broken_result,
    refuse_broken_routing,
    routing_problems,
    senders,
    workflow_files,
)

COMMAND = "add-region"
# Renders one file of the suite for a set of answers (``Suite.render_file``); None when the
# repository did not come from the suite.
Renderer = Callable[[Mapping[str, object], str], bytes]


@dataclass(frozen=True)
class Settings:
    """What the user asked for."""

    repo: Path
    region: str
    cloud_region: str | None = None
    from_region: str | None = None
    branch: str | None = None
    state_key: str | None = None  # the new region's state address (default: region_state_key)


@dataclass(frozen=True)
class CatalogEntry:
    """One row of the suite's region catalog."""

    cloud_region: str
    availability_zones: tuple[str, ...]
    vpc_cidr: ipaddress.IPv4Network


@dataclass(frozen=True)
class RegionPlan:
    """The plan of add-region and the facts of the new region."""

    plan: Plan
    region: str
    cloud_region: str
    source: str  # the variables file copied
    state_key: str
    vpc_cidr: str | None
    availability_zones: tuple[str, ...]
    trigger_from: str  # "rendered", or the trigger workflow copied
    unfiltered_triggers: tuple[str, ...]  # triggers without path filters (they run anyway)
    ref: str = MAIN  # the branch whose pushes the routing is checked for

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.plan,)

    def details(self) -> dict[str, Any]:
        return {"region": self.region, "cloud_region": self.cloud_region, "source": self.source,
                "state_key": self.state_key, "vpc_cidr": self.vpc_cidr,
                "availability_zones": list(self.availability_zones),
                "trigger_from": self.trigger_from,
                "unfiltered_triggers": list(self.unfiltered_triggers)}


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def catalog_entries(raw: Mapping[str, Mapping[str, object]]) -> dict[str, CatalogEntry]:
    """The suite's region catalog (migrate.suite.read_region_catalog()) as typed entries."""
    return {
        name: CatalogEntry(
            cloud_region=str(row["cloud_region"]),
            availability_zones=tuple(str(z) for z in _as_list(row.get("availability_zones"))),
            vpc_cidr=ipaddress.IPv4Network(str(row["vpc_cidr"])),
        )
        for name, row in raw.items()
    }


def _network_plan(src: Variables, others: Sequence[Variables], region: str,
                  entry: CatalogEntry | None, catalog: Mapping[str, CatalogEntry]
                  ) -> ipaddress.IPv4Network | None:
    if src.vpc is None:
        return None
    taken = [n for v in others for n in (v.vpc, *v.public, *v.private) if n is not None]
    preferred = entry.vpc_cidr if entry and entry.vpc_cidr.prefixlen == src.vpc.prefixlen else None
    reserved = [e.vpc_cidr for k, e in catalog.items() if k != region]
    return regions.allocate_vpc(src.vpc, taken, preferred=preferred, reserved=reserved)


def plan_add_region(files: Mapping[str, bytes], settings: Settings,
                    catalog: Mapping[str, CatalogEntry], *, base: str | None = None,
                    render: Renderer | None = None, ref: str = MAIN) -> RegionPlan:
    """The plan of `add-region`: from the repository's files (HEAD) to the writes it makes."""
    region = regions.validate_region_name(settings.region)
    answers = answers_of(files)
    if region in existing_regions(files, answers):
        raise Refused(f"the region {region} already exists (its variables file, trigger "
                      "workflow or the Copier answers' regions list)",
                      "pick a new region name; to change an existing region, edit its file")
    source_path = choose_source(files, answers, settings.from_region)
    cloud = regions.resolve_cloud_region(
        region, {k: v.cloud_region for k, v in catalog.items()}, settings.cloud_region)
    src = read_variables(source_path, files[source_path])
    if not src.customer_id or not src.state_key or src.cloud_region is None:
        raise Refused(f"{source_path} lacks customer_id, state_key or region.cloud_region",
                      f"add them to {source_path} (the provider's contract), commit, run again")
    others = [read_variables(p, d) for p, d in sorted(files.items()) if _is_infra_yaml(p)]
    refuse_deployed_region(region, cloud, others)
    entry = catalog.get(region)
    in_catalog = entry is not None and entry.cloud_region == cloud
    zones = ([] if not src.zones
             else list(entry.availability_zones)
             if in_catalog and entry and len(entry.availability_zones) == len(src.zones)
             else regions.availability_zones(cloud, src.zones, src.cloud_region))
    vpc = _network_plan(src, others, region, entry, catalog)
    state_key = (regions.validate_state_key(settings.state_key) if settings.state_key is not None
                 else regions.region_state_key(src.state_key, src.cloud_region, src.customer_id, cloud))
    for other in others:
        if other.state_key == state_key:
            raise Refused(f"the new region's state_key {state_key} is already used by "
                          f"{other.path}; two regions would share one Terraform state",
                          "pass a different --cloud-region or --state-key, or add the region by hand")
    src_name = yaml_splice.get_value(files[source_path].decode("utf-8"), ("region", "name"))
    new_path = regions.region_file(region)
    text = new_variables_text(files[source_path].decode("utf-8"), src,
                              str(src_name) if src_name else None, region, cloud, zones, vpc,
                              state_key)
    changes: list[FileWrite] = [FileWrite(new_path, None, text.encode("utf-8"))]
    new = NewRegion(region, cloud, state_key, source_path, src.state_key, src.cloud_region,
                    str(src_name) if src_name else regions.region_of_file(source_path), in_catalog)
    trigger, made_from = new_trigger(files, answers, new, render)
    changes.append(trigger)
    edits, unfiltered = exclude_from_existing(files, new_path)
    changes += edits
    # Known now, before any work: the result must dispatch each variables file exactly once.
    refuse_broken_result({p: d for p, d in files.items() if is_workflow_file(p)},
                         {c.path: c.new for c in changes if is_workflow_file(c.path)},
                         variables_files([*files, new_path]), ref, f"adding {new_path}",
                         keep_existing=("invalid", "double", "unreached"))  # the source's: plan()
    notes = [Note(f"{path} has no path filter on push, so it also runs when {new_path} "
                  "changes; to dispatch each region once, give it path filters "
                  "(repo-migrate set-trigger --on path)") for path in unfiltered]
    notes.insert(0, Note(f"{new_path} carries state_key {state_key}: a new Terraform state at "
                         f"the provider for {cloud}; existing state_key values are unchanged",
                         "provider"))
    if answers is not None and answers.get("pattern") != "multi-region":
        notes.append(Note(f"{new_path} and {trigger.path} are not files of the "
                          f"{answers.get('pattern')} template: copier update leaves them as they "
                          "are (apply template changes to them by hand)"))
    answer_changes: list[AnswersChange] = []
    listed = listed_regions(answers)
    if listed is not None and region not in listed:
        if in_catalog:
            old = files[ANSWERS_FILE]
            new_list = [*listed, region]
            atext = yaml_splice.set_sequence(old.decode("utf-8"), ("regions",), new_list,
                                             ANSWERS_FILE)
            changes.append(FileWrite(ANSWERS_FILE, old, atext.encode("utf-8")))
            answer_changes.append(AnswersChange("regions", listed, new_list))
        else:
            notes.append(Note(f"{region} is not in the suite's region catalog, so it is not added "
                              f"to the regions of {ANSWERS_FILE} (the suite accepts only catalog "
                              "regions there); copier update leaves its files alone", "next"))
    branch = settings.branch or default_branch(COMMAND, region)
    notes += [Note(f"review: git diff HEAD {branch}"), Note(f"merge when satisfied: git merge {branch}")]
    how = ("rendered from the suite's multi-region template" if made_from == "rendered"
           else f"copied from {made_from}")
    lines = [f"- {new_path}: copied from {source_path}; state_key {state_key}",
             f"- {trigger.path}: {how}"]
    lines += [f"- {c.path}: " + (f"regions += {region}" if c.path == ANSWERS_FILE
                                 else f"stops firing for {new_path}") for c in changes[2:]]
    plan = Plan(
        command=COMMAND, repo=settings.repo, branch=branch, changes=tuple(changes),
        answers=tuple(answer_changes), notes=tuple(notes), base=base,
        message=f"repo-migrate add-region {region} ({cloud})\n\n" + "".join(f"{x}\n" for x in lines),
    )
    return RegionPlan(plan, region, cloud, source_path, state_key, str(vpc) if vpc else None,
                      tuple(zones), made_from, tuple(unfiltered), ref)


# --- reading the repository and applying ---------------------------------------------------

def _relevant(path: str) -> bool:
    return path == ANSWERS_FILE or path.startswith(("infra/", ".github/workflows/"))


def plan(settings: Settings) -> RegionPlan:
    """Read the repository at HEAD and plan add-region (nothing is changed), holding its lock."""
    with locks.hold(settings.repo, command=COMMAND):
        return _plan(settings)


def _plan(settings: Settings) -> RegionPlan:
    """Read the repository at HEAD and plan add-region (nothing is changed)."""
    regions.validate_region_name(settings.region)  # before touching the repository at all
    gitops.check_repo(settings.repo)
    repo = gitops.toplevel(settings.repo)
    gitops.check_has_commits(repo)
    gitops.check_no_operation_in_progress(repo)
    base = gitops.head_sha(repo)
    tree = gitops.ls_tree(repo, base)
    wanted = {p: sha for p, (mode, sha) in tree.items() if _relevant(p) and mode != "160000"}
    files = dict(zip(wanted, gitops.cat_blobs(repo, list(wanted.values()))))
    # The result is built from HEAD: refuse rather than silently leave out uncommitted edits.
    dirty = gitops.dirty_paths(repo, "infra/", ".github/workflows/", ANSWERS_FILE)
    if dirty:
        raise Refused(f"uncommitted changes to the files add-region reads ({', '.join(dirty[:3])}"
                      + (" ..." if len(dirty) > 3 else "") + ")",
                      "commit or stash them (add-region works from the committed HEAD), then run again")
    ref = branch_ref(gitops.current_branch(repo))
    # A source GitHub would refuse, or whose variables files do not each reach exactly one
    # trigger workflow, is the user's to fix first: the result could not be right either.
    refuse_broken_routing(repo, variables_files(tree), gitops.current_branch(repo), rev=base)
    catalog = catalog_entries(suite.read_region_catalog())
    answers = answers_of(files)
    with ExitStack() as stack:
        project = (stack.enter_context(suite.open_suite(answers, files.get(ANSWERS_FILE)))
                   if answers is not None else None)
        # In a multi-region repository only its own suite version gives the bytes `copier
        # update` expects (without _commit the source region's trigger is copied: the same
        # bytes when unedited). Other patterns' templates do not own the file.
        render = project.render_file if project is not None and answers is not None and (
            answers.get("_commit") or answers.get("pattern") != "multi-region") else None
        planned = plan_add_region(files, replace(settings, repo=repo), catalog, base=base,
                                  render=render, ref=ref)
        if project is not None and answers is not None and planned.plan.answers:
            planned = _sync_readmes(planned, project, answers, files, repo, base)
    gitops.check_branch_free(repo, planned.plan.branch or "")
    return planned


def _sync_readmes(planned: RegionPlan, project: suite.Suite, answers: dict[str, Any],
                  files: Mapping[str, bytes], repo: Path, base: str) -> RegionPlan:
    """The files the suite renders from the regions (the READMEs' tables), edits kept."""
    plan = planned.plan
    new_answers = {**answers, "regions": plan.answers[0].new}
    synced, notes = suite.sync_template_files(
        lambda path: files[path] if path in files else gitops.read_file(repo, base, path),
        answers, new_answers, project, {c.path for c in plan.changes}, "for the new region")
    plan = replace(plan, changes=plan.changes + tuple(synced), notes=plan.notes + tuple(notes),
                   message=plan.message + "".join(
                       f"- {c.path}: as the suite renders it with the new region\n" for c in synced))
    return replace(planned, plan=plan)


def _is_infra_yaml(path: str) -> bool:
    """A YAML file at the top of infra/ (every variables file of every pattern is one)."""
    return path.startswith("infra/") and path.count("/") == 1 and path.endswith((".yml", ".yaml"))


def _infra_files(repo: Path, rev: str) -> dict[str, bytes]:
    return {p: d for p, d in gitops.read_tree(repo, rev, "infra/").items() if _is_infra_yaml(p)}


def verify(planned: RegionPlan, before: Mapping[str, bytes], repo: Path, commit: str) -> None:
    """The post-conditions, checked on the result commit before anything is published."""
    plan = planned.plan
    new_path = regions.region_file(planned.region)
    problems: list[str] = []
    # The files these checks read, from the result commit in one batch.
    listing = gitops.ls_tree(repo, commit)
    wanted = [p for p in listing if listing[p][0] != "160000" and (
        p in before or any(c.path == p for c in plan.changes) or _is_infra_yaml(p)
        or is_workflow_file(p))]
    result = dict(zip(wanted, gitops.cat_blobs(repo, [listing[p][1] for p in wanted])))
    for change in plan.changes:
        if isinstance(change, FileWrite) and result.get(change.path) != change.new:
            problems.append(f"{change.path} does not hold the planned bytes")
    after = {p: d for p, d in result.items() if _is_infra_yaml(p)}
    facts = {p: read_variables(p, data) for p, data in after.items()}
    written = {c.path for c in plan.changes}
    for path, data in before.items():
        if path in facts and read_variables(path, data).state_key != facts[path].state_key:
            problems.append(f"{path}: state_key changed")
        elif path not in written and result.get(path) != data:
            problems.append(f"{path} changed, though the plan does not write it")
    new = facts.get(new_path)
    if new is None or new.state_key != planned.state_key:
        problems.append(f"{new_path}: missing or state_key is not {planned.state_key}")
    elif new.vpc is not None:
        clash = [p for p, f in facts.items() if p != new_path and f.vpc and f.vpc.overlaps(new.vpc)]
        problems += [f"{new_path}: network overlaps {p}" for p in clash]
    for change in plan.changes:
        if change.path.endswith((".yml", ".yaml")):
            load_yaml(result.get(change.path) or b"", change.path)
    # Routing: every workflow valid, each variables file reaching exactly one trigger workflow
    # for every trigger kind (the source was, and the plan was checked), the new one its own.
    workflows = workflow_files(result)
    variables = variables_files(after)
    problems += [p.text for p in routing_problems(workflows, variables, planned.ref)]
    sending = sorted(senders(workflows, new_path, variables, planned.ref))
    if sending != [regions.trigger_file(planned.region)]:
        problems.append(f"{new_path} is sent by {', '.join(sending) or 'no trigger workflow'}, "
                        f"not by {regions.trigger_file(planned.region)} alone")
    if problems:
        raise VerificationFailed("; ".join(problems), "report this bug; nothing was published")


def apply(planned: RegionPlan) -> Applied:
    """Commit the plan on its new branch (scratch repository, verified, published last)."""
    plan = planned.plan
    repo = Path(plan.repo)
    base = plan.base or "HEAD"
    before = {c.path: c.old for c in plan.changes if isinstance(c, FileWrite) and c.old}
    before.update(_infra_files(repo, base))
    with locks.hold(repo, command=COMMAND):
        published = apply_to_branch(repo, plan,
                                    verify=lambda work, commit: verify(planned, before, work, commit))
    if published is None:
        return Applied(planned)
    return Applied(planned, (published,), f"Done: branch {published.branch} in {published.repo}.")


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``, holding the repository's lock from start to end."""
    with locks.hold(settings.repo, command=COMMAND):
        return apply(plan(settings))

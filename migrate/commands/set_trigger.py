"""`repo-migrate set-trigger`: plan (pure) and apply the trigger change for one repository.

The plan reads the committed tree at HEAD, edits each target workflow's `on:` through
migrate.triggers (text splicing) and returns file writes; applying commits them on a new branch
in a scratch clone (migrate.publish), never touching the user's branch, index or worktree.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from migrate import gitops
from migrate.events import Event, _WorkflowLoader as _SlowLoader, decide
from migrate.commands.explain import check_trigger_routing
from migrate.errors import Refused, UnsafeYamlEdit, VerificationFailed
from migrate.commands.set_trigger_suite import (
    ANSWERS_FILE,
    base_text,
    other_files,
    plan_suite_edit,
    read_answers,
    splice_answers,
)
from migrate.plan import AnswersChange, FileWrite, Note, Plan, default_branch
from migrate.publish import Published, apply_to_branch
from migrate.triggers import DEFAULT_ENVIRONMENTS, TriggerSpec, make_spec, set_triggers

COMMAND = "set-trigger"


WORKFLOWS_DIR = ".github/workflows"
TRIGGER_GLOBS = ("trigger-infra*.yml", "trigger-infra*.yaml")
# infra/variables.yml, a region's infra/<region>-variables.yml, a service's infra/<name>-vars.yml
VARIABLES_GLOBS = ("variables.y*ml", "*-variables.y*ml", "*-vars.y*ml")


class _WorkflowLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """migrate.events' reading of a workflow (YAML 1.2 booleans: `on` stays "on"), on libyaml."""

    yaml_implicit_resolvers = _SlowLoader.yaml_implicit_resolvers


@dataclass(frozen=True)
class SetTriggerSettings:
    """What the user asked for, as the CLI parsed it."""

    repo: Path
    kinds: tuple[str, ...]
    workflows: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    branch: str | None = None


def read_environments(files: dict[str, bytes]) -> tuple[str, ...]:
    """The environments named by the infra variables files (`environments:`), in order of first
    appearance; staging and production when none names any."""
    found: list[str] = []
    for path in sorted(files):
        if not _is_variables_file(path):
            continue
        try:
            data = yaml.safe_load(files[path].decode("utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise Refused(f"{path} is not valid YAML ({exc})", f"fix {path}, then run again") from None
        envs = data.get("environments") if isinstance(data, dict) else None
        names = envs if isinstance(envs, list) else list(envs) if isinstance(envs, dict) else []
        for env in names:
            env = env.get("name") if isinstance(env, dict) else env
            if isinstance(env, str) and env and env not in found:
                found.append(env)
    return tuple(found) or DEFAULT_ENVIRONMENTS


def _resolve_workflow(repo: Path, tree: set[str], name: str) -> str:
    """The repository path of --workflow *name* (a path here, in the repo, or a bare file name)."""
    candidates = []
    given = Path(name)
    if given.is_absolute() or (Path.cwd() / given).exists():
        try:
            candidates.append((Path.cwd() / given).resolve().relative_to(repo.resolve()).as_posix())
        except ValueError:
            pass
    candidates += [PurePosixPath(name).as_posix(), f"{WORKFLOWS_DIR}/{name}"]
    for candidate in candidates:
        if candidate in tree:
            return candidate
    raise Refused(
        f"workflow {name!r} is not committed in {repo} (looked for {', '.join(dict.fromkeys(candidates))})",
        f"pass a workflow file under {WORKFLOWS_DIR}/ that is committed at HEAD",
    )


def _trigger_workflows(tree: set[str]) -> list[str]:
    return sorted(
        p for p in tree
        if PurePosixPath(p).parent.as_posix() == WORKFLOWS_DIR
        and any(fnmatch.fnmatch(PurePosixPath(p).name, g) for g in TRIGGER_GLOBS)
    )


def _targets(repo: Path, tree: set[str], workflows: tuple[str, ...]) -> list[str]:
    if workflows:
        return list(dict.fromkeys(_resolve_workflow(repo, tree, w) for w in workflows))
    found = _trigger_workflows(tree)
    if not found:
        raise Refused(
            f"{repo} has no trigger-infra workflow ({WORKFLOWS_DIR}/trigger-infra*.yml)",
            "name the workflow to change with --workflow FILE",
        )
    return found


def _edit_workflows(blobs: dict[str, bytes], targets: list[str], spec: TriggerSpec,
                    base: Callable[[str, bytes], bytes] | None = None) -> list[FileWrite]:
    """The writes setting *spec* in each target workflow (spliced into *base*'s text when given)."""
    changes = []
    for path in targets:
        old = blobs[path]
        start = base(path, old) if base is not None else old
        try:
            text, start_text = old.decode("utf-8"), start.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeYamlEdit(f"{path} is not UTF-8 text", "save it as UTF-8, then run again") from None
        new = set_triggers(start_text, spec, path)
        if new != text:
            changes.append(FileWrite(path, old, new.encode("utf-8")))
    return changes


def _describe(spec: TriggerSpec) -> str:
    parts = [f"{k} ({', '.join(v)})" for k, v in spec.push.items()]
    if spec.manual:
        parts.append(f"manual ({', '.join(spec.environments)})")
    return "; ".join(parts)


def _is_variables_file(path: str) -> bool:
    p = PurePosixPath(path)
    return p.parent.as_posix() == "infra" and any(fnmatch.fnmatch(p.name, g) for g in VARIABLES_GLOBS)


def check_no_double_dispatch(
    before: dict[str, str], after: dict[str, str], variables: list[str], ref: str
) -> None:
    """Refuse a change after which a push of one variables file runs several of the edited
    workflows (each would dispatch it: double apply) where it ran at most one before."""
    ons: dict[tuple[str, bool], object] = {}

    def on_of(name: str, edited: bool) -> object:
        if (name, edited) not in ons:
            text = after.get(name, before[name]) if edited else before[name]
            try:
                data = yaml.load(text, Loader=_WorkflowLoader)  # noqa: S506 - a safe loader
            except yaml.YAMLError:
                data = None
            ons[(name, edited)] = data.get("on") if isinstance(data, dict) else None
        return ons[(name, edited)]

    def running(path: str, edited: bool) -> list[str]:
        event = Event("push", ref, (path,))
        return [n for n in before if on_of(n, edited) is not None and decide(on_of(n, edited), event).runs]

    for path in variables:
        now = running(path, True)
        if len(now) > 1 and len(running(path, False)) <= 1:
            raise Refused(
                f"after this change a push of {path} would run {len(now)} of these workflows "
                f"({', '.join(now)}): each would dispatch it (double apply)",
                "change one workflow at a time with --workflow, or give each its own --paths",
            )


@dataclass(frozen=True)
class TriggerPlan:
    """The plan and the trigger spec it was made from (the post-condition re-applies it)."""

    plan: Plan
    spec: TriggerSpec


def plan_set_trigger(settings: SetTriggerSettings) -> TriggerPlan:
    """Read the repository at HEAD and plan the workflow edits (no change is made)."""
    repo = gitops.toplevel(settings.repo)
    gitops.check_has_commits(repo)
    gitops.check_no_operation_in_progress(repo)
    base = gitops.head_sha(repo)
    entries = gitops.ls_tree(repo, base)
    targets = _targets(repo, set(entries), settings.workflows)
    # The result is built from HEAD: refuse rather than silently leave out uncommitted edits.
    dirs = sorted({PurePosixPath(t).parent.as_posix() for t in targets} | {"infra"})
    status = gitops.git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *dirs)
    dirty = [e[3:] for e in status.split("\0") if len(e) > 3
             and (e[3:] in targets or e[3:].startswith("infra/"))]
    if dirty:
        raise Refused(
            f"uncommitted changes to the files set-trigger reads ({', '.join(dirty[:3])})",
            "commit or stash them (set-trigger works from the committed HEAD), then run again",
        )
    infra = gitops.read_tree(repo, base, "infra/")
    spec = make_spec(settings.kinds, paths=settings.paths, branches=settings.branches,
                     tags=settings.tags, environments=read_environments(infra))
    branch = settings.branch or default_branch(COMMAND)
    # Also read the trigger workflows not edited: they count when checking for double dispatch.
    readable = list(dict.fromkeys(targets + _trigger_workflows(set(entries))))
    readable += [ANSWERS_FILE] if ANSWERS_FILE in entries else []
    blobs = dict(zip(readable, gitops.cat_blobs(repo, [entries[p][1] for p in readable])))
    changes: list[FileWrite] = _edit_workflows(blobs, targets, spec)
    suite_notes: list[Note] = []
    answer_changes: tuple[AnswersChange, ...] = ()
    if changes:
        # A repository the suite generated: record the triggers in its answers (copier update).
        edit, suite_notes = plan_suite_edit(blobs, targets, spec, set(entries))
        if edit is not None:
            old_answers = read_answers(blobs[ANSWERS_FILE]) or {}
            changes = _edit_workflows(blobs, targets, spec, lambda p, b: base_text(edit, old_answers, p, b))
            old = blobs[ANSWERS_FILE]
            text = splice_answers(old.decode("utf-8"), old_answers, edit.answers)
            changes += [FileWrite(ANSWERS_FILE, old, text.encode("utf-8"))] if text != old.decode() else []
            synced, sync_notes = other_files(
                edit, old_answers, lambda p: gitops.read_file(repo, base, p) if p in entries else None,
                {*targets, ANSWERS_FILE})
            changes += synced
            suite_notes += sync_notes
            answer_changes = edit.changes
    check_no_double_dispatch(
        {p: b.decode("utf-8", errors="replace") for p, b in blobs.items()},
        {c.path: c.new.decode("utf-8") for c in changes},
        sorted(p for p in entries if _is_variables_file(p)),
        f"refs/heads/{gitops.current_branch(repo) or 'main'}",
    )
    if changes:  # say it now, also in a dry run, rather than after the work is done
        gitops.check_branch_free(repo, branch)
    notes = (
        *suite_notes,
        *(Note(f"{c.path}: no step reads inputs.environment, so a manual run cannot act on the "
               "environment chosen; pass it to the jobs (e.g. env: ENVIRONMENT: "
               "${{ inputs.environment }}) in a follow-up commit")
          for c in changes if c.path in targets and spec.manual and b"inputs.environment" not in c.new),
        Note(f"review: git diff HEAD {branch}"),
        Note(f"merge when satisfied: git merge {branch}"),
    ) if changes else ()
    plan = Plan(
        command=COMMAND,
        repo=repo,
        branch=branch,
        changes=tuple(changes),
        answers=answer_changes,
        notes=notes,
        message=f"repo-migrate set-trigger: {_describe(spec)}\n\n"
        + "".join(f"- {c.path}\n" for c in changes),
        base=base,
        extra=(("workflows", targets), ("triggers", {**spec.push, "manual": spec.manual}),
               ("environments", list(spec.environments))),
    )
    return TriggerPlan(plan, spec)


def apply_set_trigger(planned: TriggerPlan) -> Published | None:
    """Commit the plan on its new branch (scratch clone, verified, published last)."""
    plan, spec = planned.plan, planned.spec
    if plan.is_empty:
        return None
    workflows = set(dict(plan.extra)["workflows"])
    # With paths and every branch ("**"), a push of a variables file must run exactly one trigger
    # workflow whatever the branch. Without `path` (tag, manual) branch pushes run none by design,
    # and with `branch` the current branch may rightly not be one of the patterns: not checked.
    routed = "path" in spec.kinds and "branch" not in spec.kinds and any(
        c.path in _trigger_workflows(workflows) for c in plan.changes)
    ref = f"refs/heads/{gitops.current_branch(plan.repo) or 'main'}"

    def verify(work: Path) -> None:
        # Post-condition in the scratch clone: each workflow holds the planned bytes, parses,
        # and is at rest (the same command again would change nothing).
        for change in plan.changes:
            assert isinstance(change, FileWrite)
            data = (work / change.path).read_bytes()
            at_rest = change.path not in workflows or set_triggers(data.decode("utf-8"), spec,
                                                                   change.path) == data.decode("utf-8")
            if data != change.new or not at_rest:
                raise VerificationFailed(f"{change.path} did not come out as planned",
                                         "report this bug; nothing was published")
        if routed:
            variables = [p for p in gitops.ls_tree(work, "HEAD") if _is_variables_file(p)]
            try:
                check_trigger_routing(work, variables, ref=ref)
            except VerificationFailed as exc:
                raise VerificationFailed(exc.problem, f"nothing was published; {exc.fix}") from None

    return apply_to_branch(plan.repo, plan, verify=verify)

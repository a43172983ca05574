"""`repo-migrate set-trigger`: set what makes the trigger workflows run, by splicing their `on:`.

``plan(settings)`` reads the committed tree at HEAD, edits each target workflow's `on:` through
``migrate.triggers`` (text splicing) and, in a repository the suite generated, records the
triggers in the Copier answers (``answers``); ``apply(planned)`` commits the writes on a new
branch, built and verified (``verify``) in a scratch repository, never touching the user's
branch, index or working tree.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from migrate import contract, gitops, suite
from migrate.commands.set_trigger.answers import (
    SuiteEdit,
    base_text,
    other_files,
    plan_suite_edit,
    splice_answers,
)
from migrate.commands.set_trigger.answers import (
    new_answers as new_answers,
)
from migrate.errors import Refused, UnsafeYamlEdit, VerificationFailed
from migrate.plan import AnswersChange, Applied, FileWrite, Note, Plan, default_branch
from migrate.publish import apply_to_branch
from migrate.routing import check_no_double_dispatch, check_trigger_routing
from migrate.trigger_spec import DEFAULT_ENVIRONMENTS, TriggerSpec, make_spec
from migrate.triggers import set_triggers

COMMAND = "set-trigger"


@dataclass(frozen=True)
class Settings:
    """What the user asked for, as the CLI parsed it."""

    repo: Path
    kinds: tuple[str, ...]
    workflows: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    branch: str | None = None


@dataclass(frozen=True)
class TriggerPlan:
    """The plan, the trigger spec it was made from (the post-condition re-applies it) and the
    workflows it targets."""

    plan: Plan
    spec: TriggerSpec
    workflows: tuple[str, ...]

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.plan,)

    def details(self) -> dict[str, Any]:
        return {"workflows": list(self.workflows),
                "triggers": {**self.spec.push, "manual": self.spec.manual},
                "environments": list(self.spec.environments)}


def read_environments(files: dict[str, bytes]) -> tuple[str, ...]:
    """The environments named by the infra variables files (`environments:`), in order of first
    appearance; staging and production when none names any."""
    found: list[str] = []
    for path in sorted(files):
        if not contract.is_variables_file(path):
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
    candidates += [PurePosixPath(name).as_posix(), f"{contract.WORKFLOWS_DIR}/{name}"]
    for candidate in candidates:
        if candidate in tree:
            return candidate
    raise Refused(
        f"workflow {name!r} is not committed in {repo} (looked for {', '.join(dict.fromkeys(candidates))})",
        f"pass a workflow file under {contract.WORKFLOWS_DIR}/ that is committed at HEAD",
    )


def _trigger_workflows(tree: set[str]) -> list[str]:
    return sorted(p for p in tree if contract.is_trigger_workflow(p))


def _targets(repo: Path, tree: set[str], workflows: tuple[str, ...]) -> list[str]:
    if workflows:
        return list(dict.fromkeys(_resolve_workflow(repo, tree, w) for w in workflows))
    found = _trigger_workflows(tree)
    if not found:
        raise Refused(
            f"{repo} has no trigger-infra workflow ({contract.WORKFLOWS_DIR}/trigger-infra*.yml)",
            "name the workflow to change with --workflow FILE",
        )
    return found


def _edit_workflows(blobs: dict[str, bytes], targets: list[str], spec: TriggerSpec,
                    edit: SuiteEdit | None = None,
                    old_answers: dict[str, Any] | None = None) -> list[FileWrite]:
    """The writes setting *spec* in each target workflow (spliced into the suite's text for the
    new answers, the customer's edits replayed, when *edit* renders)."""
    changes = []
    for path in targets:
        old = blobs[path]
        start = base_text(edit, old_answers or {}, path, old) if edit is not None else old
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


def _refuse_dirty(repo: Path, targets: list[str]) -> None:
    # The result is built from HEAD: refuse rather than silently leave out uncommitted edits.
    dirs = sorted({PurePosixPath(t).parent.as_posix() for t in targets} | {contract.INFRA_DIR})
    status = gitops.git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *dirs)
    dirty = [e[3:] for e in status.split("\0") if len(e) > 3
             and (e[3:] in targets or e[3:].startswith("infra/"))]
    if dirty:
        raise Refused(
            f"uncommitted changes to the files set-trigger reads ({', '.join(dirty[:3])})",
            "commit or stash them (set-trigger works from the committed HEAD), then run again",
        )


def plan(settings: Settings) -> TriggerPlan:
    """Read the repository at HEAD and plan the workflow edits (no change is made)."""
    repo = gitops.toplevel(settings.repo)
    gitops.check_has_commits(repo)
    gitops.check_no_operation_in_progress(repo)
    base = gitops.head_sha(repo)
    entries = gitops.ls_tree(repo, base)
    targets = _targets(repo, set(entries), settings.workflows)
    _refuse_dirty(repo, targets)
    infra = gitops.read_tree(repo, base, "infra/")
    spec = make_spec(settings.kinds, paths=settings.paths, branches=settings.branches,
                     tags=settings.tags, environments=read_environments(infra))
    branch = settings.branch or default_branch(COMMAND)
    # Also read the trigger workflows not edited: they count when checking for double dispatch.
    readable = list(dict.fromkeys(targets + _trigger_workflows(set(entries))))
    readable += [contract.ANSWERS_FILE] if contract.ANSWERS_FILE in entries else []
    blobs = dict(zip(readable, gitops.cat_blobs(repo, [entries[p][1] for p in readable])))
    answers = contract.read_answers(blobs.get(contract.ANSWERS_FILE))
    with ExitStack() as stack:
        def pinned() -> suite.Suite | None:
            # Only a version Copier can update from is worth following: without _commit
            # (generated from a plain folder) the workflows are spliced as they are.
            if not (answers and answers.get("_commit")):
                return None
            return stack.enter_context(suite.open_suite(answers, blobs.get(contract.ANSWERS_FILE)))

        changes, answer_changes, suite_notes = _plan_changes(
            repo, base, entries, blobs, targets, spec, answers, pinned)
    check_no_double_dispatch(
        {p: b for p, b in blobs.items() if contract.is_workflow_file(p)},
        {c.path: c.new for c in changes},
        sorted(p for p in entries if contract.is_variables_file(p)),
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
    the_plan = Plan(
        command=COMMAND, repo=repo, branch=branch, changes=tuple(changes), answers=answer_changes,
        notes=notes, base=base,
        message=f"repo-migrate set-trigger: {_describe(spec)}\n\n"
        + "".join(f"- {c.path}\n" for c in changes),
    )
    return TriggerPlan(the_plan, spec, tuple(targets))


def _plan_changes(repo: Path, base: str, entries: dict[str, tuple[str, str]],
                  blobs: dict[str, bytes], targets: list[str], spec: TriggerSpec,
                  answers: dict[str, Any] | None, pinned: Callable[[], suite.Suite | None]
                  ) -> tuple[list[FileWrite], tuple[AnswersChange, ...], list[Note]]:
    """The workflow writes, and in a suite-made repository the answers and template files."""
    changes = _edit_workflows(blobs, targets, spec)
    if not changes:
        return [], (), []
    # A repository the suite generated: record the triggers in its answers (copier update).
    edit, notes = plan_suite_edit(answers, targets, spec, set(entries), pinned)
    if edit is None or answers is None:
        return changes, (), notes
    changes = _edit_workflows(blobs, targets, spec, edit, answers)
    old = blobs[contract.ANSWERS_FILE]
    text = splice_answers(old.decode("utf-8"), answers, edit.answers)
    if text != old.decode():
        changes.append(FileWrite(contract.ANSWERS_FILE, old, text.encode("utf-8")))
    synced, sync_notes = other_files(
        edit, answers, lambda p: gitops.read_file(repo, base, p) if p in entries else None,
        {*targets, contract.ANSWERS_FILE})
    return changes + synced, edit.changes, notes + sync_notes


def verify(planned: TriggerPlan, repo: Path, commit: str, ref: str) -> None:
    """Post-conditions on the result commit: each workflow holds the planned bytes and is at rest
    (the same command again would change nothing); with path triggers on every branch, each
    variables file reaches exactly one trigger workflow."""
    plan, spec = planned.plan, planned.spec
    workflows = set(planned.workflows)
    for change in plan.changes:
        assert isinstance(change, FileWrite)
        data = gitops.read_file(repo, commit, change.path) or b""
        at_rest = change.path not in workflows or set_triggers(
            data.decode("utf-8"), spec, change.path) == data.decode("utf-8")
        if data != change.new or not at_rest:
            raise VerificationFailed(f"{change.path} did not come out as planned",
                                     "report this bug; nothing was published")
    # With paths and every branch ("**"), a push of a variables file must run exactly one trigger
    # workflow whatever the branch. Without `path` (tag, manual) branch pushes run none by design,
    # and with `branch` the current branch may rightly not be one of the patterns: not checked.
    routed = "path" in spec.kinds and "branch" not in spec.kinds and any(
        contract.is_trigger_workflow(c.path) and c.path in workflows for c in plan.changes)
    if routed:
        variables = contract.variables_files(gitops.ls_tree(repo, commit))
        try:
            check_trigger_routing(repo, variables, ref, rev=commit)
        except VerificationFailed as exc:
            raise VerificationFailed(exc.problem, f"nothing was published; {exc.fix}") from None


def apply(planned: TriggerPlan) -> Applied:
    """Commit the plan on its new branch (scratch repository, verified, published last)."""
    plan = planned.plan
    if plan.is_empty:
        return Applied(planned)
    ref = f"refs/heads/{gitops.current_branch(plan.repo) or 'main'}"
    published = apply_to_branch(plan.repo, plan,
                                verify=lambda repo, commit: verify(planned, repo, commit, ref))
    if published is None:
        return Applied(planned)
    return Applied(planned, (published,), f"Done: branch {published.branch} in {published.repo}.")


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``."""
    return apply(plan(settings))

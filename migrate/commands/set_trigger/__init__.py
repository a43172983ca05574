"""`repo-migrate set-trigger`: set what makes the trigger workflows run, by splicing their `on:`.

``plan(settings)`` reads the committed tree at HEAD, refuses a repository with a workflow GitHub
would refuse, edits each target workflow's `on:` through ``migrate.triggers`` (text splicing;
which workflows and what each gets: ``targets``) and, in a repository the suite generated,
records the triggers in the Copier answers (``answers``). A result that would dispatch a
variables file twice, or never, is refused before any work. ``apply(planned)`` commits the
writes on a new branch, built and verified (``verify``) in a scratch repository, never touching
the user's branch, index or working tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate import contract, gitops, locks, suite
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
from migrate.commands.set_trigger.targets import (
    check_dropped_inputs,
    refuse_dirty,
    specs_for,
    targets,
)
from migrate.errors import UnsafeYamlEdit, VerificationFailed
from migrate.plan import AnswersChange, Applied, FileWrite, Note, Plan, default_branch
from migrate.publish import apply_to_branch
from migrate.routing import (
    refuse_broken_result,
    refuse_broken_routing,
    routing_problems,
)
from migrate.trigger_spec import DEFAULT_ENVIRONMENTS, TriggerSpec, make_spec
from migrate.triggers import set_triggers
from migrate.workflows import read_workflows

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
    drop_inputs: bool = False  # remove a manual run even though the jobs use its inputs
    environment_input: bool = False  # the provider's environment input in any workflow's manual run


@dataclass(frozen=True)
class TriggerPlan:
    """The plan, the trigger spec it was made from (the post-condition re-applies each
    workflow's own), the workflows it targets, the ref its routing is checked for and the
    routing problems the source had already (which it may keep)."""

    plan: Plan
    spec: TriggerSpec
    workflows: tuple[str, ...]
    specs: Mapping[str, TriggerSpec] = field(default_factory=dict)
    ref: str = "refs/heads/main"
    tolerated: frozenset[str] = frozenset()

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.plan,)

    def details(self) -> dict[str, Any]:
        return {"workflows": list(self.workflows),
                "triggers": {**self.spec.push, "manual": self.spec.manual},
                "environments": list(self.spec.environments),
                "environment_input": [p for p in self.workflows
                                      if self.spec.manual and self.spec_of(p).environment_input]}

    def spec_of(self, path: str) -> TriggerSpec:
        """The spec *path* is edited with."""
        return self.specs.get(path, self.spec)


def read_environments(files: dict[str, bytes]) -> tuple[str, ...]:
    """The environments named by the infra variables files (`environments:`), in order of first
    appearance; staging and production when none names any."""
    found: list[str] = []
    for path in sorted(files):
        if not contract.is_variables_file(path):
            continue
        data = contract.load_yaml(files[path], path, typed=True)
        envs = data.get("environments") if isinstance(data, dict) else None
        names = envs if isinstance(envs, list) else list(envs) if isinstance(envs, dict) else []
        for env in names:
            env = env.get("name") if isinstance(env, dict) else env
            if isinstance(env, str) and env and env not in found:
                found.append(env)
    return tuple(found) or DEFAULT_ENVIRONMENTS


def _edit_workflows(blobs: dict[str, bytes], specs: Mapping[str, TriggerSpec],
                    edit: SuiteEdit | None = None,
                    old_answers: dict[str, Any] | None = None) -> list[FileWrite]:
    """The writes setting each target workflow's spec (spliced into the suite's text for the
    new answers, the customer's edits replayed, when *edit* renders)."""
    changes = []
    for path, spec in specs.items():
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


def plan(settings: Settings) -> TriggerPlan:
    """Read the repository at HEAD and plan the workflow edits (no change is made), holding its
    lock."""
    with locks.hold(settings.repo, command=COMMAND):
        return _plan(settings)


def _plan(settings: Settings) -> TriggerPlan:
    """Read the repository at HEAD and plan the workflow edits (no change is made)."""
    repo = gitops.toplevel(settings.repo)
    gitops.check_has_commits(repo)
    gitops.check_no_operation_in_progress(repo)
    base = gitops.head_sha(repo)
    entries = gitops.ls_tree(repo, base)
    # A workflow GitHub refuses (here or in any other file) is the user's to fix first.
    refuse_broken_routing(repo, (), None, rev=base)
    edited = targets(repo, set(entries), settings.workflows)
    refuse_dirty(repo, edited)
    infra = gitops.read_tree(repo, base, "infra/")
    spec = make_spec(settings.kinds, paths=settings.paths, branches=settings.branches,
                     tags=settings.tags, environments=read_environments(infra))
    specs = specs_for(edited, spec, settings.environment_input)
    branch = settings.branch or default_branch(COMMAND)
    ref = f"refs/heads/{gitops.current_branch(repo) or 'main'}"
    # Every workflow counts when checking the result's routing; the answers may change too.
    readable = sorted(p for p in entries if contract.is_workflow_file(p))
    readable += [contract.ANSWERS_FILE] if contract.ANSWERS_FILE in entries else []
    blobs = dict(zip(readable, gitops.cat_blobs(repo, [entries[p][1] for p in readable])))
    input_notes = check_dropped_inputs(blobs, specs, settings.drop_inputs)
    answers = contract.read_answers(blobs.get(contract.ANSWERS_FILE))
    with ExitStack() as stack:
        def pinned() -> suite.Suite | None:
            # Only a version Copier can update from is worth following: without _commit
            # (generated from a plain folder) the workflows are spliced as they are.
            if not (answers and answers.get("_commit")):
                return None
            return stack.enter_context(suite.open_suite(answers, blobs.get(contract.ANSWERS_FILE)))

        changes, answer_changes, suite_notes = _plan_changes(
            repo, base, entries, blobs, specs, spec, answers, pinned)
    variables = contract.variables_files(entries)
    workflows = {p: b for p, b in blobs.items() if contract.is_workflow_file(p)}
    refuse_broken_result(workflows, {c.path: c.new for c in changes}, variables, ref,
                         "this change", keep_existing=("unreached",),
                         fix="change one workflow at a time with --workflow, or give each its "
                             "own --paths, so that each variables file reaches exactly one "
                             "trigger workflow")
    tolerated = frozenset(p.text for p in routing_problems(
        read_workflows(repo, base), variables, ref) if p.kind == "unreached")
    if changes:  # say it now, also in a dry run, rather than after the work is done
        gitops.check_branch_free(repo, branch)
    notes = (
        *suite_notes,
        *input_notes,
        *(Note(f"{c.path}: no step reads inputs.environment, so a manual run cannot act on the "
               "environment chosen; pass it to the jobs (e.g. env: ENVIRONMENT: "
               "${{ inputs.environment }}) in a follow-up commit")
          for c in changes if c.path in specs and spec.manual and specs[c.path].environment_input
          and b"inputs.environment" not in c.new),
        Note(f"review: git diff HEAD {branch}"),
        Note(f"merge when satisfied: git merge {branch}"),
    ) if changes else ()
    the_plan = Plan(
        command=COMMAND, repo=repo, branch=branch, changes=tuple(changes), answers=answer_changes,
        notes=notes, base=base,
        message=f"repo-migrate set-trigger: {_describe(spec)}\n\n"
        + "".join(f"- {c.path}\n" for c in changes),
    )
    return TriggerPlan(the_plan, spec, tuple(edited), specs, ref, tolerated)


def _plan_changes(repo: Path, base: str, entries: dict[str, tuple[str, str]],
                  blobs: dict[str, bytes], specs: Mapping[str, TriggerSpec], spec: TriggerSpec,
                  answers: dict[str, Any] | None, pinned: Callable[[], suite.Suite | None]
                  ) -> tuple[list[FileWrite], tuple[AnswersChange, ...], list[Note]]:
    """The workflow writes, and in a suite-made repository the answers and template files."""
    changes = _edit_workflows(blobs, specs)
    if not changes:
        return [], (), []
    # A repository the suite generated: record the triggers in its answers (copier update).
    edit, notes = plan_suite_edit(answers, list(specs), spec, set(entries), pinned)
    if edit is None or answers is None:
        return changes, (), notes
    changes = _edit_workflows(blobs, specs, edit, answers)
    old = blobs[contract.ANSWERS_FILE]
    text = splice_answers(old.decode("utf-8"), answers, edit.answers)
    if text != old.decode():
        changes.append(FileWrite(contract.ANSWERS_FILE, old, text.encode("utf-8")))
    synced, sync_notes = other_files(
        edit, answers, lambda p: gitops.read_file(repo, base, p) if p in entries else None,
        {*specs, contract.ANSWERS_FILE})
    return changes + synced, edit.changes, notes + sync_notes


def verify(planned: TriggerPlan, repo: Path, commit: str) -> None:
    """Post-conditions on the result commit: each workflow holds the planned bytes and is at rest
    (the same command again would change nothing); every workflow is valid and each variables
    file reaches exactly one trigger workflow (unless the source already had one reaching none)."""
    plan = planned.plan
    workflows = set(planned.workflows)
    entries = gitops.ls_tree(repo, commit)
    written = [c.path for c in plan.changes if c.path in entries]
    committed = dict(zip(written, gitops.cat_blobs(repo, [entries[p][1] for p in written])))
    for change in plan.changes:
        assert isinstance(change, FileWrite)
        data = committed.get(change.path, b"")
        spec = planned.spec_of(change.path)
        at_rest = change.path not in workflows or set_triggers(
            data.decode("utf-8"), spec, change.path) == data.decode("utf-8")
        if data != change.new or not at_rest:
            raise VerificationFailed(f"{change.path} did not come out as planned",
                                     "report this bug; nothing was published")
    variables = contract.variables_files(entries)
    problems = [p for p in routing_problems(read_workflows(repo, commit), variables, planned.ref)
                if p.text not in planned.tolerated]
    if problems:
        raise VerificationFailed(
            "infra changes no longer reach exactly one trigger workflow per variables file: "
            + "; ".join(p.text for p in problems),
            "nothing was published; please report this bug (the plan was checked)")


def apply(planned: TriggerPlan) -> Applied:
    """Commit the plan on its new branch (scratch repository, verified, published last)."""
    plan = planned.plan
    if plan.is_empty:
        return Applied(planned)
    with locks.hold(plan.repo, command=COMMAND):
        published = apply_to_branch(plan.repo, plan,
                                    verify=lambda repo, commit: verify(planned, repo, commit))
    if published is None:
        return Applied(planned)
    return Applied(planned, (published,), f"Done: branch {published.branch} in {published.repo}.")


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``, holding the repository's lock from start to end."""
    with locks.hold(settings.repo, command=COMMAND):
        return apply(plan(settings))

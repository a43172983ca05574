"""set-trigger's targets: which workflows it edits, what each gets, and the refusals about them.

Only the files GitHub runs (top level of ``.github/workflows``, ``*.yml``/``*.yaml``) are edited;
a manual run gets the provider's ``environment`` input only in a trigger-infra workflow (or when
asked for); inputs the jobs still use are never removed silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath

from migrate import contract, gitops
from migrate.errors import Refused
from migrate.plan import Note
from migrate.trigger_spec import TriggerSpec
from migrate.workflow_inputs import dropped_input_references


def _not_run_by_github(path: str) -> Refused:
    name = PurePosixPath(path).name
    if not name.endswith((".yml", ".yaml")):
        name = PurePosixPath(name).stem + ".yml"
    return Refused(
        f"{path} is not a workflow GitHub runs: GitHub reads only the files directly in "
        f"{contract.WORKFLOWS_DIR}/ named *.yml or *.yaml",
        f"pass a workflow of {contract.WORKFLOWS_DIR}/, or move this one there first "
        f"(git mv {path} {contract.WORKFLOWS_DIR}/{name}) and commit")


def resolve_workflow(repo: Path, tree: set[str], name: str) -> str:
    """The repository path of --workflow *name* (a path here, in the repo, or a bare file name);
    refused unless it is a workflow file GitHub runs."""
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
            if not contract.is_workflow_file(candidate):
                raise _not_run_by_github(candidate)
            return candidate
    raise Refused(
        f"workflow {name!r} is not committed in {repo} (looked for {', '.join(dict.fromkeys(candidates))})",
        f"pass a workflow file under {contract.WORKFLOWS_DIR}/ that is committed at HEAD",
    )


def trigger_workflows(tree: set[str]) -> list[str]:
    """The trigger-infra workflows of *tree*, sorted."""
    return sorted(p for p in tree if contract.is_trigger_workflow(p))


def targets(repo: Path, tree: set[str], workflows: tuple[str, ...]) -> list[str]:
    """The workflows to edit: those named, else every trigger-infra workflow."""
    if workflows:
        return list(dict.fromkeys(resolve_workflow(repo, tree, w) for w in workflows))
    found = trigger_workflows(tree)
    if not found:
        raise Refused(
            f"{repo} has no trigger-infra workflow ({contract.WORKFLOWS_DIR}/trigger-infra*.yml)",
            "name the workflow to change with --workflow FILE",
        )
    return found


def refuse_dirty(repo: Path, paths: list[str]) -> None:
    """Refuse uncommitted changes to *paths* or under infra/ (the result is built from HEAD)."""
    dirs = sorted({PurePosixPath(t).parent.as_posix() for t in paths} | {contract.INFRA_DIR})
    dirty = [p for p in gitops.dirty_paths(repo, *dirs)
             if p in paths or p.startswith(contract.INFRA_DIR + "/")]
    if dirty:
        raise Refused(
            f"uncommitted changes to the files set-trigger reads ({', '.join(dirty[:3])}"
            + (" ..." if len(dirty) > 3 else "") + ")",
            "commit or stash them (set-trigger works from the committed HEAD), then run again",
        )


def specs_for(paths: list[str], spec: TriggerSpec, environment_input: bool) -> dict[str, TriggerSpec]:
    """Each workflow's spec: the provider's environment input for a manual run of a trigger-infra
    workflow (or of any, with *environment_input*); a bare manual run elsewhere."""
    return {p: spec if environment_input or contract.is_trigger_workflow(p)
            else replace(spec, environment_input=False) for p in paths}


def check_dropped_inputs(blobs: Mapping[str, bytes], specs: Mapping[str, TriggerSpec],
                         drop: bool) -> list[Note]:
    """Refuse removing a manual run whose inputs the jobs use (unless *drop*: then notes)."""
    # The suite's trigger script reads github.event.inputs.environment for every event (empty
    # without a manual run: it then dispatches every environment), so that one may go.
    refs = [(path, ref) for path, spec in specs.items()
            for ref in dropped_input_references(
                blobs[path].decode("utf-8"), spec, path,
                ("environment",) if contract.is_trigger_workflow(path) else ())]
    if not refs:
        return []
    shown = [f"{path}:{r.line}: {r.text}" for path, r in refs]
    if not drop:
        raise Refused(
            "these lines use inputs of on.workflow_dispatch, which this change removes (they "
            "would be undefined): " + "; ".join(shown),
            "keep manual runs (add --on manual), or pass --drop-inputs to remove them anyway and "
            "then fix those lines")
    return [Note(f"{line} uses an input of the removed on.workflow_dispatch; fix it", "next")
            for line in shown]

"""`repo-migrate adopt`: bring a repository the suite did not make into a pattern.

``plan(settings)`` reads the repository (``layout.read_facts``: refusals, where the application
goes, the answers) and renders the suite at its current version for those answers: every file
the suite makes that the repository lacks is added (variables files, schema, trigger workflows,
READMEs, ``.copier-answers.yml`` naming the suite's real ``_src_path`` and ``_commit``); a file
the repository already has is kept as it is and recorded in ``own_files``, so Copier never
writes it; the suite's application skeleton is added only to a repository without an
application of its own. The application moves into ``app/`` (monorepo) or ``services/<name>/``
(multi-service) in the same commit, so ``git log --follow`` keeps each file's history; the
workflows, rule files and links that name it follow it. ``apply`` commits the result on the new
branch ``repo-migrate/adopt``, checked by ``verify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import attributes, gitops, locks, publish, suite
from migrate.app_layout import application_files
from migrate.commands.adopt.layout import COMMAND, Facts, Settings, moved_path, moved_paths, read_facts
from migrate.contract import (
    ANSWERS_FILE,
    is_trigger_workflow,
    is_variables_file,
    is_workflow_file,
    state_key_of,
    variables_files,
)
from migrate.errors import Refused, UnsafeYamlEdit, VerificationFailed
from migrate.events import Event
from migrate.plan import AnswersChange, Applied, Change, FileWrite, Note, Plan
from migrate.repository import state_keys
from migrate.routing import branch_ref, check_routing
from migrate.symlinks import link_paths, relink
from migrate.verify import FIX, check_state_keys, check_tree, check_yaml, expected_tree, object_format
from migrate.workflow_moves import check_same_runs, sample_pairs
from migrate.workflow_paths import move_into
from migrate.workflows import load_workflow, parse_workflow

__all__ = ["COMMAND", "AdoptPlan", "Settings", "apply", "plan", "run", "verify"]


@dataclass(frozen=True)
class AdoptPlan:
    """The plan of adopt and what it found."""

    plan: Plan
    facts: Facts
    added: tuple[str, ...]
    own: tuple[str, ...]  # suite files the repository already has (kept, in own_files)
    skipped: tuple[str, ...]  # the suite's application skeleton, not added
    suite_version: str | None

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.plan,)

    def details(self) -> dict[str, Any]:
        f = self.facts
        return {"pattern": f.settings.pattern, "variant": f.variant,
                "application": f.app.describe() if f.app else None,
                "moves": {m.src: m.dst for m in f.moves}, "added": list(self.added),
                "own_files": list(self.own), "skeleton_not_added": list(self.skipped),
                "suite": {"src": f.suite_src, "version": self.suite_version}}


def _skeleton(rendered: dict[str, bytes], f: Facts) -> set[str]:
    """The suite's application skeleton and its CI: not added next to an application."""
    if f.app is None or f.variant in ("separate-infra", "multi-region"):
        return set()
    app_files = set(application_files(rendered))
    ci = {p for p in rendered if is_workflow_file(p) and not is_trigger_workflow(p)}
    return app_files | ci


def _reroot_rules(data: bytes, f: Facts) -> bytes:
    tops = [m.src for m in f.moves if "/" not in m.src and m.dst.endswith(f"/{m.src}")]
    if tops and len(tops) == len(f.moves):
        return attributes.reroot(data, "", f.moves[0].dst.rsplit("/", 1)[0], tops)
    for m in f.moves:
        data = attributes.reroot(data, m.src, m.dst)
    return data


def _existing_writes(f: Facts, after: dict[str, str], notes: list[Note]) -> list[Change]:
    """The repository's own files the moves touch: workflows, rule files and links naming them."""
    src = f.src
    writes: list[Change] = []
    if not f.moves:
        return writes
    mapping = {m.src: m.dst for m in f.moves}
    # The application left the root for one folder: what ran at the root runs there now.
    root_to = f.moves[0].dst.rsplit("/", 1)[0] if f.app is not None and f.app.at_root else None
    before: dict[str, bytes] = {}
    moved_wf: dict[str, bytes] = {}
    for new, old in sorted(after.items()):
        if is_workflow_file(new) or attributes.is_rule_file(new):
            current = src.read(old)
            result = current
            if is_workflow_file(new):
                try:
                    result = move_into(current.decode("utf-8"), new, mapping,
                                       root_to).encode("utf-8")
                except (UnicodeDecodeError, UnsafeYamlEdit, Refused):
                    notes.append(Note(f"{new} could not be edited safely: change the paths it "
                                      f"names ({', '.join(mapping)}) by hand"))
                before[new], moved_wf[new] = current, result
            else:
                result = _reroot_rules(current, f)
            if result != current:
                writes.append(FileWrite(new, current, result, src.tree[old][0] == "100755"))
    if root_to:
        notes += _root_runs(moved_wf, root_to)
    pairs = sample_pairs(sorted((old, new) for new, old in after.items()))
    problems = check_same_runs(before, moved_wf, pairs, branch_ref(src.branch))
    if problems:
        notes.append(Note("these workflows would not run as they did for the moved files: "
                          + "; ".join(problems[:5]) + "; review their path filters"))
    links = link_paths(src.tree)
    src.prefetch(links)
    relinked = relink({p: src.read(p).decode("utf-8", "surrogateescape") for p in links},
                      src.tree, lambda p: ("repo", moved_path(p, f.moves)))
    for (_, path), target in sorted(relinked.targets.items()):
        writes.append(FileWrite(path, src.read(after[path]), target.encode(), symlink=True))
    notes += [Note(t) for t in relinked.notes.values()]
    return writes


def _root_runs(workflows: dict[str, bytes], folder: str) -> list[Note]:
    """A note for each workflow whose jobs run commands at the root, where the application was."""
    notes = []
    for name, data in sorted(workflows.items()):
        try:
            doc = load_workflow(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, Refused):
            continue
        top = doc.get("defaults") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or isinstance(top, dict) and isinstance(top.get("run"), dict) \
                and top["run"].get("working-directory"):
            continue
        runs = []
        for job in (doc.get("jobs") or {}).values():
            d = job.get("defaults") if isinstance(job, dict) else None
            if not isinstance(job, dict) or isinstance(d, dict) and isinstance(d.get("run"), dict) \
                    and d["run"].get("working-directory"):
                continue
            runs += [str(s["run"]).strip().splitlines()[0] for s in job.get("steps") or []
                     if isinstance(s, dict) and "run" in s and not s.get("working-directory")
                     and str(s["run"]).strip()]
        if runs:
            shown = "; ".join(r[:60] for r in runs[:2]) + ("; ..." if len(runs) > 2 else "")
            notes.append(Note(f"{name} runs commands at the repository root ({shown}), where the "
                              f"application was: it is in {folder}/ now, so give those steps "
                              f"working-directory: {folder} (and check the paths they name)"))
    return notes


def _routing_problems(files: dict[str, bytes], ref: str) -> list[str]:
    """For each variables file of *files*, pushed alone: not exactly one trigger workflow runs."""
    triggers = [parse_workflow(p, d) for p, d in files.items() if is_trigger_workflow(p)]
    problems = []
    for path in variables_files(files):
        running = [w.file for w in triggers if w.decide(Event("push", ref, (path,))).runs]
        if len(running) != 1:
            problems.append(f"a push of {path} would run {len(running)} trigger workflows"
                            + (f" ({', '.join(running)})" if running else ""))
    return problems


def plan(settings: Settings) -> AdoptPlan:
    """Read the repository, render the suite for it and return the plan (changes nothing),
    holding the repository's lock."""
    with locks.hold(settings.repo, command=COMMAND):
        return _plan(settings)


def _plan(settings: Settings) -> AdoptPlan:
    f = read_facts(settings)
    src = f.src
    after = moved_paths(src, f.moves)
    with suite.open_release(f.suite_src, f.suite_ref) as the_suite:
        rendered = the_suite.render(f.answers)
        # A suite file the repository has, whatever the case of its name (readme.md): its own.
        have = {p.casefold() for p in after}
        own = sorted(p for p in rendered if p.casefold() in have and p != ANSWERS_FILE)
        skeleton = _skeleton(rendered, f)
        answers = {**f.answers, "own_files": own} if own else f.answers
        answers_text = the_suite.render(answers, [ANSWERS_FILE])[ANSWERS_FILE]
        version = the_suite.version
    added = {p: d for p, d in rendered.items()
             if p not in own and p not in skeleton and p != ANSWERS_FILE}
    skipped = sorted(p for p in skeleton if p not in after)
    notes: list[Note] = []
    changes: list[Change] = [*f.moves, *_existing_writes(f, after, notes)]
    changes += [FileWrite(p, None, d) for p, d in sorted(added.items())]
    changes.append(FileWrite(ANSWERS_FILE, None, answers_text))
    result = {**{p: src.read(o) for p, o in after.items() if is_workflow_file(p)
                 or is_variables_file(p)}, **added}
    result.update({c.path: c.new for c in changes if isinstance(c, FileWrite)})
    problems = _routing_problems(result, branch_ref(src.branch))
    if problems and f.variant != "separate-app":
        raise Refused("after adopt, " + "; ".join(problems) + " (each variables file must reach "
                      "exactly one trigger workflow)",
                      "make your own trigger-infra*.yml the only one that watches those files "
                      "(or remove it and let adopt add the suite's), commit, then run again")
    notes = _notes(f, own, skipped, added, version) + notes
    return AdoptPlan(
        Plan(COMMAND, src.root, f.branch, tuple(changes), (),
             tuple(AnswersChange(k, None, v) for k, v in sorted(answers.items())), tuple(notes),
             message=(f"repo-migrate {COMMAND}: the {f.variant} pattern of the template suite\n\n"
                      f"Suite: {f.suite_src} at {version}\nSource commit: {src.head}\n"),
             base=src.head),
        f, tuple(sorted(added)), tuple(own), tuple(skipped), version)


def _notes(f: Facts, own: list[str], skipped: list[str], added: dict[str, bytes],
           version: str | None) -> list[Note]:
    src, notes = f.src, []
    if f.moves:
        shown = ", ".join(f"{m.src} -> {m.dst}" for m in f.moves[:6]) + (", ..." if len(f.moves) > 6 else "")
        notes.append(Note(f"the application {f.app.describe() if f.app else ''} moves: {shown} "
                          "(git log --follow keeps each file's history)"))
    if own:
        notes.append(Note("kept as they are, the suite's own versions not added (own_files in "
                          f".copier-answers.yml: copier update leaves them alone too): {', '.join(own)}"))
    if skipped:
        notes.append(Note(f"the suite's application skeleton is not added, the repository has its "
                          f"own application: {', '.join(skipped)}"))
    for path in variables_files(added):
        key = state_key_of(added[path], path)
        notes.append(Note(f"{path} is new, with state_key {key}: a new Terraform state at the "
                          "provider; register the repository with the provider", "provider"))
    for path in variables_files(src.tree):
        notes.append(Note(f"{path} keeps its state_key {state_key_of(src.read(path), path)}",
                          "provider"))
    if any(is_trigger_workflow(p) for p in added):
        secret = f.answers.get("dispatch_token_secret", "PROVIDER_DISPATCH_TOKEN")
        notes.append(Note(f"configure the repository secret {secret} (a token that may dispatch to "
                          "the provider's repository) before the first push of infra/"))
    notes.append(Note(f"the suite is {f.suite_src} at {version}: copier update --trust --defaults "
                      "takes its newer versions"))
    notes.append(Note(f"review and merge branch {f.branch} (git diff {src.branch}...{f.branch})"))
    return notes


def verify(planned: AdoptPlan, repo: Path, commit: str) -> None:
    """adopt's post-conditions on the result commit *commit* in *repo*."""
    f = planned.facts
    src = f.src
    actual = gitops.ls_tree(repo, commit)
    check_tree(actual, expected_tree(src.tree, planned.plan, object_format(src.root)),
               "the adopted repository")
    check_yaml(planned.plans)
    keys = state_keys(src)
    check_state_keys(keys, repo, commit)
    variables = variables_files(actual)
    if any(is_trigger_workflow(p) for p in actual) and variables:
        check_routing(repo, variables, src.branch, "the adopted repository", rev=commit)
    for m in f.moves[:5]:
        moved = [p for p in src.tree if p == m.src or p.startswith(f"{m.src}/")][:1]
        for old in moved:
            new = m.dst + old[len(m.src):]
            want = gitops.git(src.root, "log", "--follow", "--format=%H", src.head, "--", old).split()
            got = gitops.git(repo, "log", "--follow", "--format=%H", commit, "--", new).split()
            if got[1:] != want:
                raise VerificationFailed(f"git log --follow {new} does not show the history of "
                                         f"{old} ({len(got) - 1} commits, not {len(want)})", FIX)


def apply(planned: AdoptPlan) -> Applied:
    """Commit the plan on the new branch (checked by ``verify`` in a scratch copy), publish last."""
    src = planned.facts.src
    with locks.hold(src.root, command=COMMAND):
        if gitops.head_sha(src.root) != src.head:
            raise Refused(f"{src.root} changed since the plan was made", "run the command again")
        published = publish.apply_to_branch(
            src.root, planned.plan, verify=lambda repo, commit: verify(planned, repo, commit))
    if published is None:  # pragma: no cover - adopt always writes the answers file
        return Applied(planned)
    return Applied(planned, (published,),
                   f"Done: branch {published.branch} in {published.repo} holds the {planned.facts.variant} "
                   "pattern.",
                   (("branch", str(published.branch)), ("commit", published.commit)))


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``, holding the repository's lock from start to end."""
    with locks.hold(settings.repo, command=COMMAND):
        return apply(plan(settings))

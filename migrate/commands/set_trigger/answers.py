"""set-trigger in a repository the template suite generated: record the new trigger kinds in the
Copier answers, and bring the files the suite renders from them to the new answers.

The answers (`trigger_kinds`, `branch_patterns`, `tag_pattern`) are spliced into
.copier-answers.yml so that `copier update` afterwards renders the current triggers. At the
repository's own suite version, each trigger workflow and the README are moved to what the suite
renders for the new answers with the customer's edits replayed (a three-way merge, as `copier
update` does), and the workflow's `on:` is then spliced as asked; so Copier's next update finds
the bytes it renders itself and applies cleanly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from migrate import filters, yaml_splice
from migrate.contract import ANSWERS_FILE, is_trigger_workflow
from migrate.plan import AnswersChange, FileWrite, Note
from migrate.suite import Suite, replay_edits, sync_template_files
from migrate.trigger_spec import TriggerSpec

# copier.yml's choices, in its order (the order Copier records a multi-select in).
SUITE_KINDS = ("path", "branch", "manual", "tag")


@dataclass(frozen=True)
class SuiteEdit:
    """What recording the triggers in the answers adds to set-trigger's plan."""

    answers: dict[str, object]  # the new answers (all of them)
    changes: tuple[AnswersChange, ...]
    suite: Suite | None  # the suite at the repository's version; None: splice only


def new_answers(answers: Mapping[str, object], spec: TriggerSpec) -> tuple[dict[str, object], str | None]:
    """The answers holding *spec*'s kinds and globs, or (answers, why not) when the suite's
    questions cannot say them."""
    if any(filters.suite_refusal(g) for g in (*spec.branches, *spec.tags)):
        return dict(answers), "a branch or tag glob uses characters the suite's questions refuse"
    if len(spec.tags) > 1:
        return dict(answers), "the suite's tag_pattern holds one tag pattern, not several"
    new = {k: v for k, v in answers.items() if k not in ("branch_patterns", "tag_pattern")}
    new["trigger_kinds"] = [k for k in SUITE_KINDS if k in spec.kinds]
    if "branch" in spec.kinds:
        new["branch_patterns"] = list(spec.branches)
    if "tag" in spec.kinds:
        new["tag_pattern"] = spec.tags[0]
    return new, None


def splice_answers(text: str, old: Mapping[str, object], new: Mapping[str, object]) -> str:
    """*text* (.copier-answers.yml) with the trigger answers of *new*, keys in Copier's sorted order."""
    for key in ("trigger_kinds", "branch_patterns", "tag_pattern"):
        if key not in new:
            if key in old:
                text = yaml_splice.remove_key(text, (key,), ANSWERS_FILE)
            continue
        value = new[key]
        if key in old:
            if isinstance(value, list):
                text = yaml_splice.set_sequence(text, (key,), [str(v) for v in value], ANSWERS_FILE)
            else:
                text = yaml_splice.set_scalar(text, (key,), str(value), ANSWERS_FILE)
        else:
            present = yaml_splice.get_value(text, (), ANSWERS_FILE)
            before = [k for k in (present if isinstance(present, dict) else {}) if str(k) < key]
            text = yaml_splice.insert_key(text, (key,), value, max(before, default=None), ANSWERS_FILE)
    return text


def plan_suite_edit(answers: Mapping[str, object] | None, targets: list[str], spec: TriggerSpec,
                    tree: set[str], suite: Callable[[], Suite | None]
                    ) -> tuple[SuiteEdit | None, list[Note]]:
    """The answers change for *spec* when the targets are exactly the suite's trigger workflows
    of a generated repository; else None, with a note saying why when it matters. *suite* gives
    the suite at the repository's version, asked only when the answers change."""
    if answers is None or "trigger_kinds" not in answers:
        return None, []
    suite_triggers = sorted(p for p in tree if is_trigger_workflow(p))
    if sorted(targets) != suite_triggers:
        return None, [Note(f"{ANSWERS_FILE} is not updated: the suite's trigger kinds hold for all "
                           f"of {', '.join(suite_triggers)}; run set-trigger on all of them (no "
                           "--workflow) so that copier update keeps the new triggers", "next")]
    new, why = new_answers(answers, spec)
    if why:
        return None, [Note(f"{ANSWERS_FILE} is not updated: {why}; copier update will treat the "
                           "new triggers as your own edit", "next")]
    changes = tuple(AnswersChange(k, answers.get(k), new.get(k))
                    for k in ("trigger_kinds", "branch_patterns", "tag_pattern")
                    if answers.get(k) != new.get(k))
    return SuiteEdit(new, changes, suite()), []


def base_text(edit: SuiteEdit, old_answers: Mapping[str, object], path: str, current: bytes) -> bytes:
    """The workflow to splice `on:` into: *current* moved to what the suite renders for the new
    answers (customer's edits replayed) when that merges cleanly, else *current*."""
    if edit.suite is None:
        return current
    before, after = edit.suite.render(old_answers).get(path), edit.suite.render(edit.answers).get(path)
    if before is None or after is None:
        return current
    merged = replay_edits(current, before, after)
    return current if merged is None else merged


def other_files(edit: SuiteEdit, old_answers: Mapping[str, object],
                read: Callable[[str], bytes | None], skip: set[str]
                ) -> tuple[list[FileWrite], list[Note]]:
    """The other files the suite renders from the triggers (the README), brought to the new
    answers with the customer's edits kept."""
    if edit.suite is None:
        return [], []
    return sync_template_files(read, old_answers, edit.answers, edit.suite, skip)

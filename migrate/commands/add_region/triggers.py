"""add-region's trigger workflows: the new region's, and existing ones that must stop firing.

The new workflow is rendered from the suite's multi-region template when the repository came
from the suite (the same bytes `copier update` expects); otherwise the source region's trigger
text is copied with its path filters, name and file/state references spliced to the new region.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from migrate import filters, regions, yaml_splice
from migrate.contract import SCHEMA_FILE, is_trigger_workflow
from migrate.errors import Refused, UnsafeYamlEdit
from migrate.plan import FileWrite
from migrate.workflows import parse_workflow

SHARED_TRIGGER = ".github/workflows/trigger-infra.yml"
PATH_EVENTS = ("push", "pull_request")
# One dispatch target of a suite trigger workflow's TARGETS (one JSON object a line).
_TARGET_LINE = re.compile(r'^(?P<indent>[ \t]*)(?P<obj>\{.*"watch": *\[.*\})(?P<tail>,?)(?P<eol>\r?)$',
                          re.MULTILINE)
Renderer = Callable[[Mapping[str, object], str], bytes]


@dataclass(frozen=True)
class NewRegion:
    """What the trigger workflows need to know about the region being added."""

    name: str
    cloud_region: str
    state_key: str
    source_path: str  # the variables file the region was copied from
    source_state_key: str
    source_cloud_region: str | None
    source_region: str | None  # the source file's region.name
    in_catalog: bool  # the catalog knows the region with this cloud region (templates render it)


def decode(path: str, data: bytes) -> str:
    """*data* as text (a BOM kept as U+FEFF, so splicing keeps it), or a refusal naming *path*."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeYamlEdit(f"{path} is not UTF-8 text", "save it as UTF-8, then run again") from None


def _token_re(literal: str) -> re.Pattern[str]:
    # Whole tokens only: `acme/us-east-1` must not match inside `acme/us-east-10`.
    return re.compile(r"(?<![A-Za-z0-9._/-])" + re.escape(literal) + r"(?![A-Za-z0-9_/-]|\.[A-Za-z0-9])")


def _name_re(region: str) -> re.Pattern[str]:
    # A region inside a name: `infra-us-east`, `us-east-${{ x }}`, but not `us-east` in `us-east-1`.
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(region) + r"(?![A-Za-z0-9]|-[A-Za-z0-9])")


def source_trigger(files: Mapping[str, bytes], source_path: str) -> str:
    """The trigger workflow of the source variables file: its region's, else trigger-infra.yml."""
    src_region = regions.region_of_file(source_path)
    candidates = [regions.trigger_file(src_region)] if src_region else []
    candidates.append(SHARED_TRIGGER)
    for path in candidates:
        if path in files:
            return path
    raise Refused(f"found no trigger workflow to copy ({' or '.join(candidates)})",
                  "add the trigger workflow of the source region (or pass --from another "
                  "region), commit, and run again")


def _render(answers: Mapping[str, object], region: NewRegion, render: Renderer) -> bytes:
    prefix = region.state_key[: -len(region.cloud_region) - 1]
    listed = answers.get("regions")
    if answers.get("pattern") == "multi-region" and answers.get("state_key") == prefix \
            and isinstance(listed, list):
        # The repository with the region added, as Copier will render it for `copier update`.
        return render({**answers, "regions": [*listed, region.name]}, regions.trigger_file(region.name))
    # Another pattern: the multi-region template's trigger depends only on the region and the
    # repository-wide answers, and its state_key answer is the prefix before the cloud region.
    data = {k: v for k, v in answers.items() if k not in ("repo_role", "runtime", "services")}
    data.update(pattern="multi-region", regions=[region.name], state_key=prefix)
    return render(data, regions.trigger_file(region.name))


def _copy(text: str, path: str, region: NewRegion) -> str:
    new_var = regions.region_file(region.name)
    for event in PATH_EVENTS:
        items = yaml_splice.get_value(text, ("on", event, "paths"), path)
        if isinstance(items, list):
            # Item by item, so each keeps its quotes and comment: the source's own file (or a
            # glob holding it, like infra/**) becomes the new region's file.
            for i, pattern in enumerate(filters.compile_patterns(items)):
                if not pattern.negated and pattern.matches(region.source_path):
                    text = yaml_splice.set_scalar(text, ("on", event, "paths", i),
                                                  filters.escape(new_var), path)
    src_region = region.source_region
    name = yaml_splice.get_value(text, ("name",), path)
    if isinstance(name, str) and name and not (src_region and _name_re(src_region).search(name)):
        # A name without the source region in it (a monorepo's trigger-infra): name the region.
        new_name = f"trigger-infra-{region.name}" if name == "trigger-infra" else f"{name} ({region.name})"
        text = yaml_splice.set_scalar(text, ("name",), new_name, path)
    # References to the source's own file and state address elsewhere (validation steps,
    # dispatch payloads) are exact, distinctive tokens: point them at the new region's; so are
    # the source region's name and cloud region code as whole words (targets, comments).
    text = _token_re(region.source_path).sub(new_var, text)
    if region.source_state_key:
        text = _token_re(region.source_state_key).sub(region.state_key, text)
    if src_region:
        text = _name_re(src_region).sub(region.name, text)
    if region.source_cloud_region:
        text = _name_re(region.source_cloud_region).sub(region.cloud_region, text)
    text = narrow_watch(text, new_var)
    yaml_splice.reparse(text, path)
    return text


def narrow_watch(text: str, new_var: str) -> str:
    """*text* with each dispatch target that watches a folder holding *new_var* (`infra/`, as
    older suite versions wrote) watching its own variables files and the schema instead: a push
    changing both a region's file and another's lists each in one workflow only."""
    def covers(watch: object) -> bool:
        return isinstance(watch, str) and watch.endswith("/") and new_var.startswith(watch)

    def one(match: re.Match[str]) -> str:
        try:
            target = json.loads(match["obj"])
        except ValueError:
            return match[0]
        watch, own = target.get("watch"), target.get("vars")
        if not isinstance(watch, list) or not isinstance(own, list) or not any(map(covers, watch)):
            return match[0]
        target["watch"] = list(dict.fromkeys([*own, SCHEMA_FILE, *(w for w in watch if not covers(w))]))
        # json.dumps' separators are the suite's to_json's: the line reads as rendered.
        return match["indent"] + json.dumps(target) + match["tail"] + match["eol"]

    return _TARGET_LINE.sub(one, text)


def new_trigger(files: Mapping[str, bytes], answers: Mapping[str, object] | None,
                region: NewRegion, render: Renderer | None) -> tuple[FileWrite, str]:
    """The new region's trigger workflow and how it was made ("rendered" or the copied path)."""
    target = regions.trigger_file(region.name)
    if render is not None and answers is not None and region.in_catalog:
        return FileWrite(target, None, _render(answers, region, render)), "rendered"
    src = source_trigger(files, region.source_path)
    new = _copy(decode(src, files[src]), src, region)
    return FileWrite(target, None, new.encode("utf-8")), src


def _exclude(text: str, path: str, new_var: str) -> tuple[str, list[str]]:
    """*text* with every path filter that lets *new_var* through made to exclude it."""
    unfiltered: list[str] = []
    for event in PATH_EVENTS:
        conf = yaml_splice.get_value(text, ("on", event), path)
        if not isinstance(conf, dict):
            if event == "push" and (conf is not None or _has_event(text, path, event)):
                unfiltered.append(event)
            continue
        paths = conf.get("paths")
        ignore = conf.get("paths-ignore")
        if isinstance(paths, list):
            compiled = filters.compile_patterns(paths)
            if filters.is_included(compiled, new_var):
                last = max(i for i, p in enumerate(compiled) if not p.negated and p.matches(new_var))
                items = [*paths[: last + 1], "!" + filters.escape(new_var), *paths[last + 1:]]
                text = yaml_splice.set_sequence(text, ("on", event, "paths"), items, path)
        elif isinstance(ignore, list):
            if not filters.is_included(filters.compile_patterns(ignore), new_var):
                items = [*ignore, filters.escape(new_var)]
                text = yaml_splice.set_sequence(text, ("on", event, "paths-ignore"), items, path)
        elif event == "push":
            unfiltered.append(event)
    return text, unfiltered


def _has_event(text: str, path: str, event: str) -> bool:
    on = yaml_splice.get_value(text, ("on",), path)
    return on == event or (isinstance(on, list) and event in on)


def exclude_from_existing(files: Mapping[str, bytes], new_var: str
                          ) -> tuple[list[FileWrite], list[str]]:
    """Edits that stop the existing trigger workflows from firing for *new_var* (no double
    dispatch), and the triggers without a path filter on push, which run on every push anyway."""
    writes: list[FileWrite] = []
    unfiltered: list[str] = []
    for path in sorted(p for p in files if is_trigger_workflow(p)):
        old = files[path]
        text = decode(path, old)
        new, events = _exclude(text, path, new_var)
        narrowed = narrow_watch(new, new_var)
        if narrowed != new:
            yaml_splice.reparse(narrowed, path)
            new = narrowed
        if new != text:
            writes.append(FileWrite(path, old, new.encode("utf-8")))
        if events and parse_workflow(path, old).targets is None:
            # A suite trigger runs too, but its targets do not send the new file: not noted.
            unfiltered.append(path)
    return writes, unfiltered

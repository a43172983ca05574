"""The editing core: exact bytes in, exact bytes out; everything not asked for stays put."""

from __future__ import annotations

import pytest

from migrate.errors import UnsafeYamlEdit
from migrate.yaml_splice import (
    Edit,
    apply_edits,
    get_node_span,
    get_value,
    insert_key,
    remove_key,
    set_scalar,
    set_sequence,
)

ODD = (
    "\ufeff---\r\n"
    "# header comment\r\n"
    "on:\r\n"
    "    push:\r\n"
    "        branches: [ main ]  # c\r\n"
    "        tags:\r\n"
    "        # lead\r\n"
    "        - 'v1'   \r\n"
    "        - \"v2\" # x\r\n"
    "    pull_request:\r\n"
    "\r\n"
    "jobs:\r\n"
    "  a:\r\n"
    "    runs-on: ubuntu  # keep\r\n"
    "    steps:\r\n"
    "    - run: x"
)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("jobs", "a", "runs-on"), "windows-latest", "    runs-on: windows-latest  # keep\r\n"),
        (("on", "push", "tags", 0), "v9", "        - 'v9'   \r\n"),
        (("on", "push", "tags", 1), "v9", '        - "v9" # x\r\n'),
        (("jobs", "a", "runs-on"), "yes", "    runs-on: 'yes'  # keep\r\n"),
    ],
)
def test_set_scalar_keeps_quotes_comment_and_everything_else(path, value, expected):
    out = set_scalar(ODD, path, value)
    old_line = next(line for line in ODD.splitlines(True) if line not in out.splitlines(True))
    assert out == ODD.replace(old_line, expected, 1)


@pytest.mark.parametrize(
    ("path", "items", "old", "new"),
    [
        (("on", "push", "branches"), ["main", "dev*"], "[ main ]", "[ main, dev* ]"),
        (("on", "push", "branches"), ["*x"], "[ main ]", "[ '*x' ]"),
        (
            ("on", "push", "tags"),
            ["v1", "v2", "v3"],
            "        - \"v2\" # x\r\n",
            "        - \"v2\" # x\r\n        - v3\r\n",
        ),
        (
            ("on", "push", "tags"),
            ["v2"],
            "        # lead\r\n        - 'v1'   \r\n",
            "",
        ),
        (
            ("on", "push", "tags"),
            ["v0", "v1"],
            "        # lead\r\n        - 'v1'   \r\n        - \"v2\" # x\r\n",
            "        - v0\r\n        # lead\r\n        - 'v1'   \r\n",
        ),
        (
            ("on", "push", "tags"),
            [],
            "tags:\r\n        # lead\r\n        - 'v1'   \r\n        - \"v2\" # x\r\n",
            "tags: []\r\n",
        ),
    ],
)
def test_set_sequence_changes_only_the_list(path, items, old, new):
    assert ODD.count(old) == 1
    assert set_sequence(ODD, path, items) == ODD.replace(old, new)


def test_set_sequence_reorders_reusing_item_lines():
    out = set_sequence(ODD, ("on", "push", "tags"), ["v2", "v1"])
    assert out == ODD.replace(
        "        # lead\r\n        - 'v1'   \r\n        - \"v2\" # x\r\n",
        "        - \"v2\" # x\r\n        # lead\r\n        - 'v1'   \r\n",
    )


def test_remove_and_insert_key_keep_layout():
    out = remove_key(ODD, ("on", "push", "tags"))
    assert out == ODD.replace("        tags:\r\n        # lead\r\n        - 'v1'   \r\n        - \"v2\" # x\r\n", "")
    out = insert_key(ODD, ("on", "pull_request", "paths"), ["infra/**"])
    assert out == ODD.replace(
        "    pull_request:\r\n", "    pull_request:\r\n        paths:\r\n        - infra/**\r\n"
    )
    # At the end of a file without a final newline, it stays without one.
    out = insert_key(ODD, ("jobs", "a", "env"), {"A": "1", "B": None})
    assert out == ODD + "\r\n    env:\r\n      A: '1'\r\n      B:"


def test_get_value_and_span():
    assert get_value(ODD, ("on", "push", "tags")) == ["v1", "v2"]
    assert get_value(ODD, ("on", "nope")) is None
    start, end = get_node_span(ODD, ("on", "push", "branches"))
    assert ODD[start:end] == "[ main ]"


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",
        "a: !!str [1]\n",
        "a: [1]\na: [2]\n",
        "a: 1\n---\nb: 2\n",
        "a: [1, # c\n  2]\n",
    ],
)
def test_refuses_what_it_cannot_edit_safely(text):
    with pytest.raises(UnsafeYamlEdit):
        set_sequence(text, ("a",), ["3"])


def test_not_yaml_is_refused_with_fix():
    with pytest.raises(UnsafeYamlEdit) as exc:
        set_scalar("a: [\n", ("a",), "x")
    assert exc.value.fix


def test_apply_edits_refuses_overlap():
    assert apply_edits("abcdef", [Edit(4, 5, "X"), Edit(1, 2, "")]) == "acdXf"
    with pytest.raises(UnsafeYamlEdit):
        apply_edits("abcdef", [Edit(1, 4, ""), Edit(2, 3, "")])


def test_set_sequence_on_a_string_or_null_value():
    text = "on:\n  push:\n    branches: main  # default\n    tags:\n"
    assert set_sequence(text, ("on", "push", "branches"), ["dev"]) == text.replace("main", "dev")
    assert set_sequence(text, ("on", "push", "branches"), ["main", "dev"]) == text.replace(
        "main", "[main, dev]")
    assert set_sequence(text, ("on", "push", "tags"), ["v*"]) == text.replace(
        "tags:\n", "tags: [v*]\n")
    assert set_sequence(text, ("on", "push", "tags"), ["v*", "x"]) == text.replace(
        "tags:\n", "tags: [v*, x]\n")


NESTED = (
    "a:\n  run: |\n    echo 1\n\n    echo 2\n\n\n"
    "b: {x: 1, y: [ 2 ]}\n"
    "c:\n  # about d\n  d: 1  # d\n  e: 2\n"
)


def test_insert_after_a_block_scalar_keeps_its_text():
    assert insert_key(NESTED, ("a", "env"), {"K": "v"}) == NESTED.replace(
        "    echo 2\n", "    echo 2\n  env:\n    K: v\n")


def test_edits_inside_flow_mappings():
    assert set_scalar(NESTED, ("b", "x"), "a, b") == NESTED.replace("{x: 1,", "{x: 'a, b',")
    assert set_sequence(NESTED, ("b", "y"), ["2", "3"]) == NESTED.replace("[ 2 ]", "[ 2, '3' ]")


def test_remove_key_takes_its_own_comment_and_insert_after_a_named_key():
    assert remove_key(NESTED, ("c", "d")) == NESTED.replace("  # about d\n  d: 1  # d\n", "")
    assert insert_key(NESTED, ("c", "f"), "x", after="d") == NESTED.replace(
        "  d: 1  # d\n", "  d: 1  # d\n  f: x\n")

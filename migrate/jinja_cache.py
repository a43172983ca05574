"""Compile each Jinja source once per process while Copier renders the suite.

Copier compiles every question's `when`, default and validator afresh for each question and
each render (about 300 compiles a render, 97 of them distinct), which is most of a render's
time. ``compiled_once()`` memoizes ``jinja2.Environment.compile`` for its duration, keyed by the
source and by every setting of the environment that shapes the compiled code, so the result is
the code Jinja would have compiled: the same bytes come out (the suite's exact-tree tests render
through it), in a third of the time for a first render and a tenth for the next ones.

API
---
- ``compiled_once()``: a context manager; nested or concurrent uses share one cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

_ORIGINAL: list[Callable[..., Any]] = []  # Jinja's own compile, once jinja2 is imported
_CACHE: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()
_USERS = 0


def _key(env: jinja2.Environment, source: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    autoescape = env.autoescape if isinstance(env.autoescape, bool) else id(env.autoescape)
    return (type(env), env.optimized, tuple(sorted(env.extensions)), env.trim_blocks,
            env.lstrip_blocks, env.keep_trailing_newline, env.newline_sequence,
            env.block_start_string, env.block_end_string, env.variable_start_string,
            env.variable_end_string, env.comment_start_string, env.comment_end_string,
            env.line_statement_prefix, env.line_comment_prefix, autoescape, env.is_async,
            tuple(sorted(env.filters)), tuple(sorted(env.tests)), source, args)


def _compile(self: jinja2.Environment, source: Any, *args: Any, **kwargs: Any) -> Any:
    original = _ORIGINAL[0]
    if not isinstance(source, str) or kwargs:
        return original(self, source, *args, **kwargs)
    key = _key(self, source, args)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = original(self, source, *args)
    else:
        # Extensions may keep state that their preprocess hook resets for each compile
        # (Copier's yield tag does): run the hooks as a compile would, for that effect only.
        self.preprocess(source, *args[:2])
    return found


@contextmanager
def compiled_once() -> Iterator[None]:
    """Memoize Jinja's compile while the block runs (Copier renders inside it)."""
    global _USERS
    import jinja2  # here: only a render needs Jinja, and importing it costs a few hundredths

    with _LOCK:
        if not _ORIGINAL:
            _ORIGINAL.append(jinja2.Environment.compile)
        _USERS += 1
        jinja2.Environment.compile = _compile  # type: ignore[method-assign]
    try:
        yield
    finally:
        with _LOCK:
            _USERS -= 1
            if not _USERS:
                jinja2.Environment.compile = _ORIGINAL[0]  # type: ignore[method-assign]

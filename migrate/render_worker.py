"""Copier in a process of its own, started as the command line starts, for the commands that render.

Importing Copier takes about half a second and a render a tenth or more, all Python work that
holds the interpreter lock. Started before anything else (by ``migrate.__main__``), a worker
process imports Copier on the second core while the command reads and checks the repositories
and git rewrites history, and it renders there without slowing the command's own threads. A
process that started no worker (the tests calling ``migrate.cli.main``, library users) renders
in-process: ``migrate.suite.render_project`` asks ``render`` first.

The worker reads one JSON request a line on stdin (``src``, ``dest``, ``data``, ``only``) and
answers one JSON line: ``{"ok": true}``, or the refusal (an answer the suite's validators refuse)
or the traceback of a failure. It ends at the end of its input, so it never outlives the command
(also when the command is killed), and the command's signal handling stops it with its children.

API
---
- ``start_for(argv)``: start the worker when the command in *argv* renders the suite.
- ``running()``, ``process()``: whether this process started a worker, and the process.
- ``render(data, dest, src, only) -> bool``: render in the worker; False when none runs.
- ``stop()``: end the worker (the command line calls it as it exits).
- ``main()``: the worker's loop (``python -m migrate.render_worker``).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

# The commands whose run renders the suite (a dry run renders too).
RENDERING = frozenset({"mono-to-separate", "separate-to-mono", "add-region", "adopt"})


class _Worker:
    proc: subprocess.Popen[bytes] | None = None
    lock = threading.Lock()


def start_for(argv: Sequence[str]) -> None:
    """Start the worker when *argv* runs a command that renders (not for --help)."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] not in RENDERING or "--help" in argv:
        return
    from migrate import interrupts  # a light module: no Copier, no typer

    # The worker's own renders give Copier's git the safe environment (suite.render_project).
    proc = subprocess.Popen([sys.executable, "-m", "migrate.render_worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, process_group=0)
    interrupts.adopt(proc)
    _Worker.proc = proc


def running() -> bool:
    """True when this process started a render worker."""
    return _Worker.proc is not None


def process() -> subprocess.Popen[bytes] | None:
    """The worker process, if one runs (for tests and diagnostics)."""
    return _Worker.proc


def render(data: Mapping[str, Any], dest: Path, src: str, only: Iterable[str] | None) -> bool:
    """Render *src* into *dest* with *data* in the worker; False when no worker runs."""
    proc = _Worker.proc
    if proc is None or proc.stdin is None or proc.stdout is None:
        return False
    request = {"src": src, "dest": str(dest), "data": dict(data),
               "only": None if only is None else list(only)}
    with _Worker.lock:
        try:
            proc.stdin.write(json.dumps(request, default=str).encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = b""
    if not line:
        raise RuntimeError("the render worker ended before it answered (see the command's "
                           "exit code; run it again, and report it if it repeats)")
    return _answer(json.loads(line))


def _answer(reply: Mapping[str, Any]) -> bool:
    from migrate.errors import Refused

    if reply.get("ok"):
        return True
    if "refused" in reply:
        problem, fix = reply["refused"]
        raise Refused(problem, fix)
    raise RuntimeError(f"rendering the suite failed in the render worker:\n{reply.get('error')}")


def stop() -> None:
    """End the worker, if one runs (its input closes; it is stopped if it does not end at once)."""
    proc, _Worker.proc = _Worker.proc, None
    if proc is None:
        return
    from migrate import interrupts

    interrupts.stop(proc)


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    importlib.import_module("copier")  # the point of the worker: Copier is ready before the first request
    from migrate.errors import Refused
    from migrate.suite import render_project

    for line in requests:
        request = json.loads(line)
        try:
            render_project(request["data"], Path(request["dest"]), src=request["src"],
                           only=request["only"])
            reply: dict[str, Any] = {"ok": True}
        except Refused as exc:
            reply = {"ok": False, "refused": [exc.problem, exc.fix]}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()


def main() -> None:
    """The worker: serve requests until stdin ends (it starts no worker, so it renders itself)."""
    _serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()

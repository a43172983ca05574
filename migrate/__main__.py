"""The entry point of `repo-migrate` (and `python -m migrate`).

For a command that renders the suite, Copier's process starts first (``migrate.render_worker``),
before the command line is even parsed, so its import runs beside everything else. When the
command is done (every scratch folder removed, every lock released, the output flushed), the
process ends at once instead of tearing down the hundreds of modules it imported: a few
hundredths of a second on every run.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Start the render worker when the command needs one, then run the command line."""
    from migrate import render_worker

    render_worker.start_for(sys.argv[1:])
    code: int | str | None = 1
    try:
        from migrate.cli import main as cli_main

        cli_main()
    except SystemExit as exc:
        code = exc.code
    finally:
        render_worker.stop()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


if __name__ == "__main__":
    main()

"""The commands of repo-migrate, one module or package each, all in one shape.

A command ``migrate.commands.<name>`` offers:

- ``COMMAND``: its name on the command line (``"add-region"``).
- ``Settings``: a frozen dataclass of what the user asked for; the CLI fills it in.
- ``plan(settings) -> <Name>Plan``: reads the repositories, refuses an unsafe starting state or
  invalid input (``migrate.errors.Refused``, exit 3) and returns a typed, immutable plan that
  satisfies ``migrate.plan.CommandPlan``: ``plans`` (its ``migrate.plan.Plan`` records: file
  writes with old and new bytes, moves, deletions, history steps, answer changes, notes) and
  ``details()`` (its own typed facts, added to the ``--json`` document). ``plan`` changes nothing;
  ``--dry-run`` prints it and stops.
- ``verify(...)``: its post-conditions, checked on the result in the scratch copy
  (``migrate.errors.VerificationFailed``, exit 4, nothing published).
- ``apply(planned) -> migrate.plan.Applied``: builds the result in a scratch copy
  (``migrate.publish``), runs ``verify`` there, and publishes last: a new branch
  ``repo-migrate/<command>[-<detail>]`` or a new repository at the destination given.
- ``run(settings) -> Applied``: ``apply(plan(settings))`` (a command may overlap slow steps that
  do not depend on each other, with the same result).
- ``plan``, ``apply`` and ``run`` hold the locks of the repositories they read (and ``apply``
  of a destination it creates) with ``migrate.locks.hold``, so a second run is refused before it
  reads anything; a lock is re-entrant, so ``run`` holds it from its first read to its last write.

A read-only command (``explain``) has ``Settings`` and ``plan`` only. What two commands share
lives in a library module under ``migrate/`` (never in one of them); libraries never import a
command or the CLI, and a command never imports another command (``tests/test_layers.py``).
Output, text and JSON, goes through ``migrate.output``; the CLI (``migrate.cli``) only turns
options into ``Settings`` and calls ``migrate.cli.runner.run_command``.
"""

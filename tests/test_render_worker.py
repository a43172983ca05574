"""Copier in a process of its own (migrate.render_worker) and Jinja compiled once per process
(migrate.jinja_cache): the same bytes as a render in-process, refusals as refusals, no process
left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate import jinja_cache, render_worker, suite
from migrate.errors import Refused
from tests.helpers import file_bytes
from tests.suite_fixtures import case_answers


@pytest.fixture
def worker() -> object:
    render_worker.start_for(["mono-to-separate", "--infra-repo", "x"])
    assert render_worker.running()
    yield render_worker.process()
    render_worker.stop()


def test_only_commands_that_render_start_a_worker() -> None:
    for argv in ([], ["explain"], ["set-trigger", "--on", "tag"], ["mono-to-separate", "--help"]):
        render_worker.start_for(argv)
        assert not render_worker.running()


def test_the_worker_renders_what_the_process_renders(worker: object, plain_suite: Path,
                                                     tmp_path: Path) -> None:
    answers = case_answers("multi-service")
    suite.render_project(answers, tmp_path / "in-worker", src=str(plain_suite))
    render_worker.stop()
    suite.render_project(answers, tmp_path / "here", src=str(plain_suite))
    assert file_bytes(tmp_path / "in-worker") == file_bytes(tmp_path / "here")
    assert "infra/api-vars.yml" in file_bytes(tmp_path / "here")


def test_a_refused_answer_is_a_refusal_from_the_worker_too(worker: object, plain_suite: Path,
                                                           tmp_path: Path) -> None:
    with pytest.raises(Refused, match="customer_id"):
        suite.render_project({"pattern": "monorepo", "customer_id": "Acme"}, tmp_path / "out",
                             src=str(plain_suite))


def test_stop_leaves_no_process(worker: object) -> None:
    pid = worker.pid  # type: ignore[attr-defined]
    render_worker.stop()
    assert not render_worker.running()
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_the_worker_ends_with_its_input(worker: object) -> None:
    proc = worker
    proc.stdin.close()  # type: ignore[attr-defined]
    assert proc.wait(timeout=30) == 0  # type: ignore[attr-defined]


def test_compiled_once_gives_the_same_bytes_and_resets_copiers_yield_state(plain_suite: Path,
                                                                          tmp_path: Path) -> None:
    # multi-service's paths use Copier's yield tag, whose state a compile resets: rendered twice
    # from the cache, the tree must still be whole and the same.
    answers = case_answers("multi-service")
    trees = []
    for n in range(2):
        with jinja_cache.compiled_once():
            suite.render_project(answers, tmp_path / f"cached-{n}", src=str(plain_suite))
        trees.append(file_bytes(tmp_path / f"cached-{n}"))
    assert trees[0] == trees[1]
    assert {p for p in trees[0] if p.startswith("services/")} >= {
        "services/api/Dockerfile", "services/web/Dockerfile", "services/worker/Dockerfile"}

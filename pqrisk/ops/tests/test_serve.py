"""The supervisor of `pqrisk serve`: starts its children, starts again one that dies, gives
up on one that keeps dying, stops them all, and takes them down with it when it is killed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from pqrisk.ops.serve import MAX_RESTARTS, Child, Supervisor, plan

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
QUITTER = [sys.executable, "-c", "raise SystemExit(3)"]


def test_the_plan_is_web_then_n_workers_on_the_stage_queues_then_beat() -> None:
    children = plan(
        workers=3,
        concurrency=4,
        queues=["ingest", "screen"],
        bind="127.0.0.1:8000",
        web_workers=2,
        beat=True,
    )
    assert [c.name for c in children] == ["web", "worker-1", "worker-2", "worker-3", "beat"]
    assert "pqrisk.wsgi:application" in children[0].argv
    worker = children[1].argv
    assert worker[worker.index("-Q") + 1] == "ingest,screen"
    assert worker[worker.index("-c") + 1] == "4"
    assert len({c.argv[c.argv.index("-n") + 1] for c in children[1:4]}) == 3
    assert [
        c.name
        for c in plan(
            workers=1, concurrency=1, queues=["ingest"], bind="x", web_workers=1, beat=False
        )
    ] == ["web", "worker-1"]


def test_a_child_that_keeps_dying_stops_everything() -> None:
    said: list[str] = []
    supervisor = Supervisor(
        [Child("steady", SLEEPER), Child("flaky", QUITTER)], echo=said.append, grace=10
    )
    assert supervisor.run(poll=0.05) == 1
    assert sum("flaky 已退出" in s for s in said) == MAX_RESTARTS
    assert all(c.process is not None and c.process.poll() is not None for c in supervisor.children)


def test_asked_to_stop_it_stops_every_child() -> None:
    said: list[str] = []
    supervisor = Supervisor([Child("a", SLEEPER), Child("b", SLEEPER)], echo=said.append)
    status: list[int] = []
    thread = threading.Thread(target=lambda: status.append(supervisor.run(poll=0.05)))
    thread.start()
    while sum("已启动" in s for s in said) < 2:
        thread.join(0.05)
    supervisor.request_stop()
    thread.join()
    assert status == [0]
    assert all(c.process and c.process.returncode is not None for c in supervisor.children)
    assert sum("正在停止" in s for s in said) == 2


def test_children_end_when_the_supervisor_is_killed() -> None:
    """SIGKILL leaves the supervisor no chance to stop its children: the kernel does."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    code = (
        "from pqrisk.ops.serve import Child, Supervisor\n"
        "import sys\n"
        "Supervisor([Child('sleeper', [sys.executable, '-c', 'import time; time.sleep(120)'])],"
        " echo=lambda m: print(m, flush=True)).run()\n"
    )
    supervisor = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert supervisor.stdout is not None
        line = supervisor.stdout.readline()
        found = re.search(r"进程 (\d+)", line)
        assert found, line
        child = int(found.group(1))
        os.kill(child, 0)  # running
        supervisor.kill()
        supervisor.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            try:  # reaped by init, or a zombie until then: gone either way
                with open(f"/proc/{child}/stat") as stat:
                    if stat.read().split(") ", 1)[1].startswith("Z"):
                        break
            except FileNotFoundError:
                break
            time.sleep(0.1)
        else:
            os.killpg(child, signal.SIGKILL)
            pytest.fail("the child outlived its supervisor")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()

"""The job pipeline: the row is the truth; delivery is at least once, completion exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backend.core import events, jobs
from backend.core.redis import key, redis_client
from tests.fixtures import wait_for_job

REPO = Path(__file__).resolve().parents[2]


async def completions(job_id: str) -> int:
    value = await redis_client().get(key("ops", "probe-completions", job_id))
    return int(value or 0)


async def test_a_job_reports_progress_and_stores_its_result(workers):
    row = await jobs.create_job("ops.probe", {"seconds": 0.3, "steps": 5})
    seen = []
    async with events.listen(jobs.channel(row["public_id"])) as queue:
        await jobs.dispatch(row)
        while True:
            event = await asyncio.wait_for(queue.get(), 10)
            seen.append((event["status"], event["progress"]))
            if event["status"] == "done":
                break
    progress = [p for status, p in seen if status == "running"]
    assert progress == sorted(progress) and len(progress) >= 3
    done = await jobs.get_job(row["public_id"])
    assert done["status"] == "done" and done["progress"] == 1.0
    assert done["result"]["completions"] == 1


async def test_a_second_delivery_of_a_finished_job_does_nothing(workers):
    row = await jobs.enqueue("ops.probe", {"seconds": 0})
    await wait_for_job(row["public_id"])
    spec = jobs.REGISTRY["ops.probe"]
    assert await jobs.run_job(spec, row["public_id"]) == "done"
    assert await completions(row["public_id"]) == 1


async def test_the_sweep_re_enqueues_jobs_whose_redis_entry_was_lost(workers):
    row = await jobs.create_job("ops.probe", {"seconds": 0})  # committed but never dispatched: Redis lost it
    from backend.core import clock
    from backend.core.tables import Job

    await Job.update({Job.updated_at: clock.now().replace(year=2020)}).where(
        Job.public_id == row["public_id"]
    )
    requeued = await jobs.sweep(older_than_seconds=1)
    assert row["public_id"] in requeued
    done = await wait_for_job(row["public_id"])
    assert done["status"] == "done"
    assert await jobs.sweep(older_than_seconds=1) == []


async def test_cancelling_a_running_job_stops_it(workers):
    row = await jobs.enqueue("ops.probe", {"seconds": 5, "steps": 50})
    for _ in range(200):
        current = await jobs.get_job(row["public_id"])
        if current["status"] == "running":
            break
        await asyncio.sleep(0.02)
    await jobs.request_cancel(row["public_id"])
    final = await wait_for_job(row["public_id"])
    assert final["status"] == "cancelled"
    assert await completions(row["public_id"]) == 0


async def test_cancelling_a_queued_job_means_it_never_runs(workers):
    await workers.stop()
    row = await jobs.enqueue("ops.probe", {"seconds": 0})
    await jobs.request_cancel(row["public_id"])
    await workers.start()
    await asyncio.sleep(0.5)
    assert (await jobs.get_job(row["public_id"]))["status"] == "cancelled"
    assert await completions(row["public_id"]) == 0


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--queue", "default"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
async def test_a_job_whose_worker_is_killed_is_finished_exactly_once_after_restart():
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    first = _worker(env)
    try:
        row = await jobs.enqueue("ops.probe", {"seconds": 6, "steps": 60})
        for _ in range(500):
            current = await jobs.get_job(row["public_id"])
            if current["status"] == "running" and current["progress"] > 0.1:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the job never started")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no chance to clean up: the in-progress key stays
        first.wait()
    interrupted = await jobs.get_job(row["public_id"])
    assert interrupted["status"] == "running" and await completions(row["public_id"]) == 0
    second = _worker(env)
    try:
        # arq hands the job out again once the dead worker's in-progress lock expires: the largest
        # timeout among the queue's jobs plus 10 s.
        from workers.settings import worker_options

        options = worker_options("default")
        lock = (
            max(
                [f.timeout_s or 0 for f in options["functions"]]
                + [c.timeout_s or 0 for c in options["cron_jobs"]]
            )
            + 10
        )
        final = await wait_for_job(row["public_id"], within=lock + 45)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait()
    assert final["status"] == "done"
    assert final["attempts"] == 2
    assert await completions(row["public_id"]) == 1

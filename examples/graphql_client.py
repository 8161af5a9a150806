"""A minimal Cadenza API client: ``python examples/graphql_client.py https://cadenza.example cdz_… [job id]``.

It runs the operations in ``graphql/examples/``. (It lives here, not beside them: a Python file under
the top-level ``graphql/`` folder would make it a package shadowing graphql-core.)
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import websockets

HERE = Path(__file__).resolve().parents[1] / "graphql" / "examples"


async def main(base: str, key: str, job_id: str | None) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        for name in ("viewer", "organizations"):
            response = await http.post("/graphql", json={"query": (HERE / f"{name}.graphql").read_text()})
            print(name, response.status_code, json.dumps(response.json(), indent=2))
    if job_id:
        url = base.replace("http", "ws", 1) + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = (HERE / "job_progress.graphql").read_text()
            await ws.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": job_id}}}
                )
            )
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "complete":
                    break
                print(message["payload"])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))

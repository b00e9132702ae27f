"""governance serve over HTTP, side by side with the same work done by the library in-process.

1. Ingest: OpenLineage events POSTed to a `governance serve` process (SQLite store) by client
   processes on loopback, one event per request as openlineage-python's HttpTransport sends
   them, and in arrays of 100. Peer: AuditStore.append_events called directly. Target: at least
   1,000 events/s over HTTP.
2. Lineage: p50/p95 latency of GET /api/v1/lineage?depth=10 (Marquez's shape, with facets and
   latest runs) on a layered synthetic graph. Peer: LineageQueries.traverse, the one recursive
   query the endpoint runs first. Target: p95 under 200 ms.

Run: .venv/bin/python benchmarks/serve.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from governance.audit import AuditStore  # noqa: E402
from governance.serve.keys import add_key  # noqa: E402
from governance.store import sqlite_url_for  # noqa: E402

PRODUCER = "https://example.org/benchmark"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FIELDS = [{"name": f"col{i}", "type": "int64"} for i in range(8)]


def run_event(job: str, inputs: list[str], outputs: list[str], namespace: str = "bench") -> dict:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-27T14:00:00.000Z",
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": namespace, "name": job},
        "inputs": [{"namespace": namespace, "name": name} for name in inputs],
        "outputs": [
            {
                "namespace": namespace,
                "name": name,
                "facets": {
                    "schema": {"_producer": PRODUCER, "_schemaURL": SCHEMA_URL, "fields": FIELDS}
                },
            }
            for name in outputs
        ],
    }


def layered_graph(layers: int, width: int) -> list[dict]:
    """Job (l, j) reads datasets (l, j) and (l, j+1) and writes dataset (l+1, j)."""
    events = []
    for layer in range(layers):
        for j in range(width):
            events.append(
                run_event(
                    f"job.l{layer}.j{j}",
                    [f"ds.l{layer}.j{j}", f"ds.l{layer}.j{(j + 1) % width}"],
                    [f"ds.l{layer + 1}.j{j}"],
                )
            )
    return events


def start_server(url: str, keys_file: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "governance",
            "serve",
            "--store",
            url,
            "--port",
            str(port),
            "--keys-file",
            str(keys_file),
            "--no-access-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=keys_file.parent,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("governance serve did not start")


async def _connection(port: int, key: str, bodies: list[bytes], statuses: list[int]) -> None:
    """One keep-alive HTTP/1.1 connection posting its bodies one after the other."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /api/v1/lineage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer {key}\r\n"
    ).encode()
    for body in bodies:
        writer.write(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        response = await reader.readuntil(b"\r\n\r\n")
        statuses.append(int(response.split(b" ", 2)[1]))
        for line in response.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
    writer.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_ingest(
    port: int, key: str, server_pid: int, *, clients: int, per_client: int, batch: int
) -> tuple[float, float]:
    """Events/s over ``clients`` concurrent connections, and server CPU ms per event.

    The client is a lean asyncio loop with the request bodies built beforehand, so the
    measurement is the server's, not the client library's (both share the 2 cores).
    """
    bodies = []
    for client in range(clients):
        events = [
            run_event(f"ingest.c{client}.e{i}", [f"src.{i}"], [f"dst.{client}.{i}"])
            for i in range(per_client)
        ]
        chunks = [events[i : i + batch] for i in range(0, per_client, batch)]
        bodies.append([json.dumps(c[0] if batch == 1 else c).encode() for c in chunks])
    statuses: list[int] = []

    async def run() -> None:
        await asyncio.gather(*(_connection(port, key, b, statuses) for b in bodies))

    cpu = _cpu_seconds(server_pid)
    began = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - began
    cpu = _cpu_seconds(server_pid) - cpu
    assert set(statuses) == {201}, sorted(set(statuses))
    total = clients * per_client
    return total / elapsed, cpu / total * 1000


def direct_ingest(url: str, events: list[dict], batch: int) -> float:
    with AuditStore.open(url) as store:
        began = time.perf_counter()
        for index in range(0, len(events), batch):
            store.append_events(events[index : index + batch])
        return len(events) / (time.perf_counter() - began)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller numbers, for a smoke run")
    options = parser.parse_args()
    conns, per_conn = (32, 50) if options.quick else (32, 250)
    layers, width = (20, 200) if options.quick else (40, 500)
    queries = 50 if options.quick else 200
    port = 5000 + os.getpid() % 1000
    rows: list[tuple[str, str, str, str]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keys_file = folder / "keys.json"
        key, _ = add_key(keys_file, ["ingest", "read"], name="bench")

        # 1. ingest
        for batch, clients, per_client in ((1, conns, per_conn), (100, 4, per_conn * conns // 4)):
            url = sqlite_url_for(folder / f"ingest-{batch}.db")
            AuditStore.open(url).close()
            server = start_server(url, keys_file, port)
            try:
                rate, cpu = http_ingest(
                    port, key, server.pid, clients=clients, per_client=per_client, batch=batch
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
            with AuditStore.open(url) as store:
                stored = sum(1 for _ in store.entries(kind="openlineage.event"))
                intact = store.verify().ok
            assert stored == clients * per_client and intact, (stored, intact)
            peer_events = [
                run_event(f"peer.e{i}", [f"src.{i}"], [f"dst.{i}"])
                for i in range(min(clients * per_client, 2000 if batch == 1 else 8000))
            ]
            peer = direct_ingest(sqlite_url_for(folder / f"peer-{batch}.db"), peer_events, batch)
            label = "1 event per request" if batch == 1 else f"arrays of {batch}"
            rows.append(
                (
                    f"ingest, {label}, {clients} connections, {clients * per_client:,} events "
                    f"(server CPU {cpu:.2f} ms/event)",
                    f"{rate:,.0f} events/s",
                    f"{peer:,.0f} events/s (append_events, {batch} per call, one caller)",
                    f"{rate / peer:.2f}",
                )
            )

        # 2. lineage at depth 10
        url = sqlite_url_for(folder / "graph.db")
        graph = layered_graph(layers, width)
        with AuditStore.open(url) as store:
            for index in range(0, len(graph), 2000):
                store.append_events(graph[index : index + 2000])
        server = start_server(url, keys_file, port)
        random.seed(7)
        roots = [
            f"dataset:bench:ds.l{layers // 2}.j{random.randrange(width)}" for _ in range(queries)
        ]
        session = requests.Session()
        headers = {"Authorization": f"Bearer {key}"}
        try:
            http_times, sizes = [], []
            for root in roots:
                began = time.perf_counter()
                response = session.get(
                    f"http://127.0.0.1:{port}/api/v1/lineage",
                    params={"nodeId": root, "depth": 10},
                    headers=headers,
                    timeout=60,
                )
                http_times.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
                sizes.append(len(response.json()["graph"]))
        finally:
            server.terminate()
            server.wait(timeout=30)
        peer_times = []
        with AuditStore.open(url) as store:
            for root in roots:
                began = time.perf_counter()
                store.lineage.traverse(store.lineage.resolve(root), "both", depth=10)
                peer_times.append((time.perf_counter() - began) * 1000)
        for name, fraction in (("p50", 0.5), ("p95", 0.95)):
            ours, peer = percentile(http_times, fraction), percentile(peer_times, fraction)
            rows.append(
                (
                    f"GET /api/v1/lineage depth 10, {name} ({len(graph):,} jobs, "
                    f"{statistics.mean(sizes):.0f} nodes per answer)",
                    f"{ours:.1f} ms",
                    f"{peer:.1f} ms (traverse only)",
                    f"{ours / peer:.2f}",
                )
            )
    load = os.getloadavg()[0]
    print(f"load average before the run: {load_before:.1f}, after: {load:.1f} (2 cores)\n")
    print("| measure | governance serve | peer: the library in-process | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    single, arrays = (float(row[1].split()[0].replace(",", "")) for row in rows[:2])
    p95 = float(rows[-1][1].split()[0])

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(
        f"\ntargets: ingest >= 1,000 events/s: one event per request {single:,.0f} "
        f"({verdict(single >= 1000)}), arrays of 100 {arrays:,.0f} ({verdict(arrays >= 1000)}); "
        f"lineage depth 10 p95 < 200 ms: {p95:.1f} ms ({verdict(p95 < 200)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

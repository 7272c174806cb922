"""Sync and pack figures: 1,000 ops in one batch (applied, then replayed), the pack's build time
and size for 500 and for 10,000 plotters, and the time to open a plotter page offline in
Chromium (a cached page, and one drawn from the pack).

    .venv/bin/python benchmarks/sync.py [--postgres URL] [--no-browser]
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import (  # noqa: E402
    DATA,
    ensure_large_database,
    make_app,
    parser,
    postgres_database,
    sign_in,
    sqlite_url,
)
from benchmarks.transfer import offline_open_figures  # noqa: E402  (with the other browser figures)
from benchmarks.visits import build, payload  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.unit_of_work import unit_of_work  # noqa: E402

OPS = 1000


def batch_figures(url: str) -> None:
    """1,000 ops in one POST (half visits with 10 steps and 2 parts, half messages), twice."""
    app = make_app(url)
    world = build(app)
    with app.app_context():
        from fieldapp.customers.models import Customer
        from fieldapp.jobs.services import create_job

        customer = db.session.scalar(sa.select(Customer))
        with unit_of_work():
            number = create_job(
                customer_id=customer.id,
                equipment_id=None,
                problem="Bench thread",
                actor_id=None,
                assigned_to_id=world["tech_id"],
            ).number
    client = app.test_client()
    sign_in(client, "tech1@bench.example")
    ops = []
    for n in range(OPS):
        if n % 2:
            body = {"id": str(uuid.uuid4()), "job": number, "body": f"Note {n}"}
            ops.append({"id": str(uuid.uuid4()), "type": "message.post", "payload": body})
        else:
            ops.append(
                {"id": str(uuid.uuid4()), "type": "visit.record", "payload": payload(world, n)}
            )
    started = time.perf_counter()
    first = client.post("/api/v1/sync", json={"ops": ops})
    applied_s = time.perf_counter() - started
    started = time.perf_counter()
    again = client.post("/api/v1/sync", json={"ops": ops})
    replay_s = time.perf_counter() - started
    assert {r["status"] for r in first.json["results"]} == {"applied"}
    assert {r["status"] for r in again.json["results"]} == {"duplicate"}
    print(
        f"{url.split('://')[0].split('+')[0]}: {OPS} ops in one batch "
        "(half visits with 10 steps and 2 parts, half messages)"
    )
    print(f"  first apply  {applied_s:6.2f} s  ({OPS / applied_s:6.0f} ops/s)")
    print(
        f"  replay       {replay_s:6.2f} s  ({OPS / replay_s:6.0f} ops/s), "
        f"{applied_s / replay_s:.1f}x faster than the first apply"
    )
    with app.app_context():
        db.engine.dispose()


def pack_figures(url: str, scale: float) -> None:
    """Build time (best of 5) and size of a tech's pack."""
    app = make_app(url)
    ensure_large_database(app, scale)
    client = app.test_client()
    sign_in(client, "tech1@bench.example")
    client.get("/api/v1/pack")  # warm up
    times = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get("/api/v1/pack")
        times.append(time.perf_counter() - started)
    plotters = len(json.loads(response.data)["equipment"])
    print(
        f"  pack for {plotters:>6,} plotters: built in {min(times) * 1000:6.0f} ms, "
        f"{len(response.data) / 1024 / 1024:5.2f} MB before compression"
    )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--no-browser", action="store_true")
    args = p.parse_args()
    DATA.mkdir(exist_ok=True)
    batch_figures(f"sqlite:///{DATA / 'sync.sqlite3'}")
    if args.postgres:
        batch_figures(postgres_database(args.postgres, "fieldapp_bench_sync"))
    print("pack, SQLite:")
    for scale in (0.05, 1.0):
        pack_figures(sqlite_url(scale), scale)
    if args.postgres:
        print("pack, PostgreSQL:")
        pack_figures(postgres_database(args.postgres, "fieldapp_bench_small"), 0.05)
        pack_figures(args.postgres, 1.0)
    if not args.no_browser:
        offline_open_figures()


if __name__ == "__main__":
    main()

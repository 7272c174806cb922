"""Visits recorded per second, each with 10 step results and 2 parts, through the service the
pages use and through POST /api/v1/visits, on SQLite and (with --postgres) PostgreSQL, where
it uses (and empties) the database fieldapp_bench_visits on that server.

    .venv/bin/python benchmarks/visits.py [--postgres URL] [--count 500]
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import DATA, PASSWORD, make_app, sign_in  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.unit_of_work import unit_of_work  # noqa: E402


def build(app) -> dict:
    """A fresh small business: one tech with a stocked van, 50 plotters, a 10-step SOP."""
    from werkzeug.security import generate_password_hash

    from fieldapp.auth.models import User
    from fieldapp.customers.models import Customer
    from fieldapp.equipment.services import create_equipment
    from fieldapp.inventory.models import Part, StockLocation
    from fieldapp.inventory.services import record_movement
    from fieldapp.sops.services import StepText, publish_sop_version

    with app.app_context():
        db.drop_all()
        db.create_all()
        tech = User(
            email="tech1@bench.example",
            name="Bench Tech",
            role="tech",
            password_hash=generate_password_hash(PASSWORD),
        )
        customer = Customer(name="Bench Architects")
        db.session.add_all([tech, customer])
        db.session.flush()
        van = StockLocation(name="Bench van", kind="van", tech_id=tech.id)
        parts = [
            Part(sku=f"BENCH-{n}", name=f"Bench part {n}", unit_cost_cents=1000) for n in range(2)
        ]
        db.session.add_all([van, *parts])
        db.session.flush()
        for part in parts:
            record_movement(part, van, 10_000, "receive", actor_id=None)
        kinds = ["check", "pass_fail", "measure", "check", "pass_fail"] * 2
        version = publish_sop_version(
            "bench",
            title="Bench SOP",
            category="repair",
            summary="",
            change_note="",
            steps=[
                StepText(f"Step {n}", "", kind, unit="N" if kind == "measure" else "")
                for n, kind in enumerate(kinds)
            ],
            author_id=None,
        )
        tokens = [
            create_equipment(
                customer_id=customer.id,
                make="HP",
                model="DesignJet T830",
                serial_number=f"BENCH{n:05d}",
                actor_id=None,
            ).qr_token
            for n in range(50)
        ]
        db.session.commit()
        steps = [(step.id, step.kind) for step in version.steps]
        return {
            "tech_id": tech.id,
            "tokens": tokens,
            "steps": steps,
            "skus": [p.sku for p in parts],
        }


def payload(world: dict, n: int) -> dict:
    started = datetime.now(UTC) - timedelta(days=1, minutes=n)
    status = {"check": "done", "pass_fail": "pass", "measure": "done"}
    return {
        "id": str(uuid.uuid4()),
        "equipment": world["tokens"][n % len(world["tokens"])],
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=40)).isoformat(),
        "outcome": "fixed",
        "summary": "Cleaned the encoder strip and replaced the belt.",
        "error_codes": ["86:01"],
        "steps": [
            {"step": step_id, "status": status[kind], "value": 3.1 if kind == "measure" else None}
            for step_id, kind in world["steps"]
        ],
        "parts": [{"sku": sku, "quantity": 1, "from": "van"} for sku in world["skus"]],
    }


def run(url: str, count: int) -> None:
    from fieldapp.auth.models import User
    from fieldapp.visits.schemas import VisitInputSchema
    from fieldapp.visits.services import record_visit

    app = make_app(url)
    world = build(app)
    print(url.split("://")[0].split("+")[0] + ":")
    with app.app_context():
        tech = db.session.get(User, world["tech_id"])
        schema = VisitInputSchema()
        inputs = [schema.load(payload(world, n)) for n in range(count)]
        started = time.perf_counter()
        for data in inputs:
            with unit_of_work():  # one transaction per visit, as a request or sync op
                record_visit(data, tech=tech)
        elapsed = time.perf_counter() - started
        print(f"  service  {count / elapsed:7.1f} visits/s  ({elapsed / count * 1000:.1f} ms each)")
    client = app.test_client()
    sign_in(client, "tech1@bench.example")
    bodies = [payload(world, count + n) for n in range(count)]
    started = time.perf_counter()
    for body in bodies:
        assert client.post("/api/v1/visits", json=body).status_code == 201
    elapsed = time.perf_counter() - started
    print(f"  API      {count / elapsed:7.1f} visits/s  ({elapsed / count * 1000:.1f} ms each)")
    started = time.perf_counter()
    for body in bodies[:100]:
        assert client.post("/api/v1/visits", json=body).status_code == 200
    elapsed = time.perf_counter() - started
    print(f"  API replay (duplicates) {100 / elapsed:7.1f} visits/s")
    with app.app_context():
        visits = db.session.scalar(sa.text("SELECT count(*) FROM visits"))
        moves = db.session.scalar(sa.text("SELECT count(*) FROM stock_movements WHERE kind='use'"))
        assert visits == 2 * count and moves == 4 * count, (visits, moves)
        db.engine.dispose()


def main() -> None:
    from benchmarks.common import parser, postgres_database

    p = parser(__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=500)
    args = p.parse_args()
    DATA.mkdir(exist_ok=True)
    run(f"sqlite:///{DATA / 'visits.sqlite3'}", args.count)
    if args.postgres:
        # Its own database beside the given one: this benchmark starts from empty tables.
        run(postgres_database(args.postgres, "fieldapp_bench_visits"), args.count)


if __name__ == "__main__":
    main()

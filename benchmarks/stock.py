"""Stock pages: median server time and the number of SQL statements of the reorder list, the
busiest part's page (its movements paged), the catalogue, locations with their value and the
alert list, on the large database with the office's data (600,000 parts used on visits), next
to the app's bare /healthz route (the floor). The statement counts are printed for two sizes
of the database: they must be the same (no query per row).

    .venv/bin/python benchmarks/stock.py [--postgres URL] [--scale 0.1] [--runs 25]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ServerTimer,
    Statements,
    ensure_office_database,
    make_app,
    median_ms,
    parser,
    sign_in,
    sqlite_url,
    timed_gets,
)
from fieldapp.extensions import db  # noqa: E402


def busiest_part() -> str:
    return db.session.scalar(
        sa.text(
            "SELECT p.sku FROM parts p JOIN stock_movements m ON m.part_id = p.id"
            " GROUP BY p.sku ORDER BY count(*) DESC LIMIT 1"
        )
    )


def pages(sku: str) -> list[tuple[str, str]]:
    return [
        ("reorder list", "/stock/reorder"),
        ("busiest part's page", f"/parts/{sku}"),
        ("its movements, page 10", f"/parts/{sku}?page=10"),
        ("catalogue", "/parts"),
        ("catalogue, low only", "/parts?low=1"),
        ("locations with value", "/stock"),
        ("alert list", "/stock/alerts"),
    ]


def measure(url: str, runs: int) -> tuple[dict, dict]:
    app = make_app(url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    with app.app_context():
        sku = busiest_part()
        moves = db.session.scalar(sa.text("SELECT count(*) FROM stock_movements"))
        statements = Statements(db.engine)
    print(f"{url.split('://')[0]}: {moves:,} stock movements; busiest part {sku}")
    client = app.test_client()
    sign_in(client, "owner@bench.example")
    timed_gets(app, timer, client, ["/healthz"] * 50)
    floor, _ = timed_gets(app, timer, client, ["/healthz"] * max(runs, 200))
    figures, counts = {"floor": median_ms(floor)}, {}
    for name, path in pages(sku):
        timed_gets(app, timer, client, [path] * 2)  # warm up
        statements.count = 0
        client.get(path)
        counts[name] = statements.count
        samples, size = timed_gets(app, timer, client, [path] * runs)
        figures[name] = (median_ms(samples), size)
    return figures, counts


def run(base_url: str, scale: float, runs: int, small_counts: dict | None) -> dict:
    figures, counts = measure(ensure_office_database(base_url, scale), runs)
    floor = figures["floor"]
    print(f"  {'GET /healthz (floor)':<28} median {floor:8.3f} ms")
    for name, (ms, size) in ((k, v) for k, v in figures.items() if k != "floor"):
        same = ""
        if small_counts is not None:
            same = (
                "same at 1/10"
                if counts[name] == small_counts[name]
                else (f"{small_counts[name]} at 1/10")
            )
        print(
            f"  {name:<28} median {ms:8.2f} ms  {ms / floor:7.1f}x floor"
            f"  {counts[name]:3d} statements {same:<14} {size / 1024:6.1f} KB"
        )
    return counts


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=25, help="requests per page (median of these)")
    args = p.parse_args()
    tenth = measure(ensure_office_database(sqlite_url(args.scale / 10), args.scale / 10), 3)[1]
    run(sqlite_url(args.scale), args.scale, args.runs, tenth)
    if args.postgres:
        run(args.postgres, args.scale, args.runs, tenth)


if __name__ == "__main__":
    main()

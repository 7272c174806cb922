"""The email outbox: what queueing costs the request that causes it (a service request mails
the requester and three office users), and how fast the worker hands mail to a real SMTP
server on 127.0.0.1 (aiosmtpd), plain and with the service report PDF attached.

    .venv/bin/python benchmarks/mail.py [--postgres URL] [--requests 300] [--reports 20]
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import DATA, Statements, make_app, parser, postgres_database  # noqa: E402
from fieldapp.activity.services import event_recorded  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.notify.events import tell  # noqa: E402
from fieldapp.notify.sender import send_queued  # noqa: E402
from fieldapp.public.services import submit_service_request  # noqa: E402
from fieldapp.unit_of_work import unit_of_work  # noqa: E402
from fieldapp.visits.services import VisitInput, record_visit  # noqa: E402
from tests import factories  # noqa: E402
from tests.mail import SmtpServer  # noqa: E402


def _requests(plotter, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        with unit_of_work():
            submit_service_request(
                plotter,
                name=f"Requester {n}",
                phone="",
                email=f"requester{n}@example.com",
                problem="Banding on every plot since the last head change",
                photo=None,
                address="127.0.0.1",
            )
    return time.perf_counter() - started


def _send_all() -> tuple[float, int]:
    started, sent = time.perf_counter(), 0
    while (result := send_queued(limit=500)).handled:
        sent += result.sent
    return time.perf_counter() - started, sent


def measure(url: str, requests: int, reports: int) -> None:
    app = make_app(url)
    smtp = SmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            statements = Statements(db.engine)
            for n in range(3):
                factories.make_user("office", email=f"office{n}@example.com")
            customer = factories.make_customer(email="facilities@example.com")
            plotter = factories.make_equipment(customer)
            print(f"{url.split('://')[0]}:")

            event_recorded.disconnect(tell)
            statements.count = 0
            quiet = _requests(plotter, requests)
            quiet_statements = statements.count
            event_recorded.connect(tell)
            statements.count = 0
            told = _requests(plotter, requests)
            print(
                f"  a service request, no mail    {quiet / requests * 1000:6.2f} ms"
                f"  {quiet_statements / requests:5.1f} statements"
            )
            print(
                f"  a service request, 4 queued   {told / requests * 1000:6.2f} ms"
                f"  {statements.count / requests:5.1f} statements"
                f"  ({told / quiet:.2f}x)"
            )
            seconds, sent = _send_all()
            print(
                f"  worker, plain mail            {seconds / sent * 1000:6.2f} ms/message"
                f"  ({sent:,} sent, {sent / seconds:,.0f}/s)"
            )

            tech = factories.make_user("tech")
            finished = datetime.now(UTC) - timedelta(hours=1)
            for _ in range(reports):
                with unit_of_work():
                    record_visit(
                        VisitInput(
                            id=uuid.uuid4(),
                            equipment=plotter.qr_token,
                            started_at=finished - timedelta(minutes=50),
                            finished_at=finished,
                            outcome="fixed",
                            summary="Replaced carriage belt; 86:01 cleared, test plot clean.",
                            signoff_name="Dana Ruiz",
                        ),
                        tech=tech,
                    )
            seconds, sent = _send_all()
            print(
                f"  worker, report PDF attached   {seconds / sent * 1000:6.2f} ms/message"
                f"  ({sent:,} sent)"
            )
            assert len(smtp.messages) == requests * 4 + reports
    finally:
        smtp.stop()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--reports", type=int, default=20)
    args = p.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / "mail.sqlite3"
    path.unlink(missing_ok=True)
    measure(f"sqlite:///{path}", args.requests, args.reports)
    if args.postgres:
        measure(
            postgres_database(args.postgres, "fieldapp_bench_mail"), args.requests, args.reports
        )


if __name__ == "__main__":
    main()

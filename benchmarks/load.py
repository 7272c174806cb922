"""A busy day measured: the app under gunicorn (the README's production command) on a fresh
database, driven over HTTP by 20 techs and 5 office users at once for a minute, then checked
straight in the database.

Each tech (a requests.Session, signed in through the login form as the phone is) loops:
fetch the offline pack (If-None-Match with its ETag; `?since=<cursor>` once a pack carries a
cursor), open plotter pages, upload a photo (PUT /api/v1/photos/<id>, a real JPEG) and send
a sync batch of 1 to 3 visits (parts from the van, the photo, a meter reading, an outcome),
sometimes sending the same batch again as a phone does after a lost answer. Each office user
keeps the dashboard open (its feed polled with the ETag, the live parts fetched when it
moves) and opens the dispatch board now and then.

Afterwards: every visit the techs sent (by its client-made id) exists once with its parts,
meter reading and photo, nothing else was recorded, and every stock level equals the sum of
its stock movements. Exits 1 on any failed request or mismatch.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--techs 20] [--office 5]
    .venv/bin/python benchmarks/load.py --postgres postgresql://postgres@127.0.0.1:5432/test_e
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from benchmarks.common import PASSWORD  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
# The README's production command (Production): the same workers and timeout.
GUNICORN = ["--workers", "3", "--timeout", "120"]
# Added to the command only to learn each request's time inside the worker (queueing apart).
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"
METER_BASE = 10**10  # above any demo reading: each visit's reading only goes up
SUMMARIES = [
    "Replaced carriage belt; 86:01 cleared, test plot clean.",
    "Cleaned encoder strip with IPA, reseated the encoder sensor; 87:11 gone after 20 plots.",
    "PM: cleaned carriage rod, oiled rear bushing, new maintenance cartridge, alignment done.",
    "Cutter blade dull, replaced cutter assembly; clean cuts on 10 sheets.",
]
CODES = ["86:01", "87:11", "42:10", "79:04", "21:13"]


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="run on this PostgreSQL database instead of a SQLite file; it is DROPPED and "
        "created again, e.g. postgresql://postgres@127.0.0.1:5432/fieldapp_load",
    )
    p.add_argument("--seconds", type=float, default=60, help="how long the load runs")
    p.add_argument("--techs", type=int, default=20, help="techs driving the phone's API")
    p.add_argument("--office", type=int, default=5, help="office users on dashboard and board")
    p.add_argument(
        "--plotters", type=int, default=2000, help="active plotters (the demo's and added ones)"
    )
    p.add_argument(
        "--max-requests", type=int, default=200_000, help="stop earlier after this many requests"
    )
    p.add_argument("--timeout", type=float, default=30, help="seconds allowed for one request")
    p.add_argument(
        "--think", type=float, default=0.3, help="a tech's mean pause between two actions (s)"
    )
    p.add_argument("--poll", type=float, default=3.0, help="the office feed's poll interval (s)")
    p.add_argument(
        "--pack-every", type=int, default=4, help="a tech fetches the pack every N sync rounds"
    )
    p.add_argument(
        "--resend", type=float, default=0.1, help="share of batches sent again once answered"
    )
    p.add_argument(
        "--lost",
        type=float,
        default=0.05,
        help="share of batches whose answer is lost (the phone stops waiting after 50 ms and "
        "sends the batch again at once, while the server may still be applying it)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp folder (database, logs)")
    args = p.parse_args()
    if args.techs < 1 or args.office < 0 or args.seconds <= 0:
        p.error("--techs must be at least 1, --office at least 0, --seconds above 0")
    return args


# -- the database and the server -------------------------------------------------------------


def fresh_postgres(url: str) -> str:
    """Drop and create the database the URL names; the URL for psycopg 3."""
    base = sa.engine.make_url(url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()
    return base.render_as_string(hide_password=False)


def server_env(url: str, folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDAPP_")}
    env.update(
        FIELDAPP_DATABASE_URL=url,
        FIELDAPP_UPLOAD_FOLDER=str(folder / "uploads"),
        FIELDAPP_SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex,
    )
    return env


def flask(env: dict, *args: str) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "fieldapp", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn as the README starts it, on 127.0.0.1 and a free port, in its own process
    group; stopped with SIGTERM (a graceful shutdown), SIGKILL if it hangs."""

    def __init__(self, env: dict, folder: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115  (closed in stop())
        self.access_log = folder / "access.log"
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{self.port}"]
            + ["--access-logfile", str(self.access_log), "--access-logformat", ACCESS_FORMAT]
            + ["wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within a minute")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


# -- the seed ---------------------------------------------------------------------------------


def seed(url: str, folder: Path, args) -> dict:
    """The demo business (`flask seed-demo`, run before this), plus through the app's services:
    plotters up to --plotters, the techs (each with a van holding 200 of 8 parts) and the
    office users. Each tech gets its own share of the plotters (its territory)."""
    from fieldapp import create_app
    from fieldapp.customers.models import Customer
    from fieldapp.equipment.models import Equipment
    from fieldapp.equipment.services import create_equipment
    from fieldapp.extensions import db
    from fieldapp.inventory.models import Part
    from fieldapp.inventory.services import record_movement, van_of, warehouse
    from fieldapp.inventory.vans import add_user
    from fieldapp.unit_of_work import unit_of_work

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "seed",
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    rng = random.Random(5)
    with app.app_context():
        customers = db.session.scalars(sa.select(Customer.id).order_by(Customer.id)).all()
        models = db.session.execute(sa.select(Equipment.make, Equipment.model).distinct()).all()
        have = db.session.scalar(
            sa.select(sa.func.count()).select_from(Equipment).where(Equipment.status == "active")
        )
        for start in range(0, max(0, args.plotters - have), 500):
            with unit_of_work():
                for n in range(start, min(start + 500, args.plotters - have)):
                    make, model = rng.choice(models)
                    create_equipment(
                        customer_id=rng.choice(customers),
                        make=make,
                        model=model,
                        serial_number=f"LOAD{n:07d}",
                        location_note="Print room",
                        actor_id=None,
                    )
        parts = db.session.scalars(
            sa.select(Part).where(Part.active).order_by(Part.id).limit(8)
        ).all()
        techs, office = [], []
        with unit_of_work():
            for part in parts:
                record_movement(part, warehouse(), 5000, "receive", actor_id=None)
            for n in range(1, args.techs + 1):
                email = f"loadtech{n}@load.example"
                user = add_user(email, f"Load Tech {n}", "tech", PASSWORD, phone="", actor_id=None)
                db.session.flush()
                for part in parts:
                    record_movement(part, van_of(user.id), 200, "receive", actor_id=None)
                techs.append(email)
            for n in range(1, args.office + 1):
                email = f"loadoffice{n}@load.example"
                add_user(email, f"Load Office {n}", "office", PASSWORD, phone="", actor_id=None)
                office.append(email)
        tokens = db.session.scalars(
            sa.select(Equipment.qr_token).where(Equipment.status == "active").order_by(Equipment.id)
        ).all()
        skus = [part.sku for part in parts]
        db.session.close()
        db.engine.dispose()
    return {
        "techs": techs,
        "office": office,
        "skus": skus,
        "territories": [tokens[n :: len(techs)] for n in range(len(techs))],
        "plotters": len(tokens),
    }


# -- measuring --------------------------------------------------------------------------------


class Stop(Exception):
    """The run is over (its time is up or its request budget spent)."""


class Recorder:
    def __init__(self, seconds: float, max_requests: int):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.unchanged: dict[str, int] = defaultdict(int)  # answered 304
        self.samples: list[str] = []
        self.per_visit: list[float] = []
        self.requests = 0
        self.last_done = 0.0
        self.deltas = [0, 0]  # since=<cursor> answered with a full pack, with a delta
        self.max_requests = max_requests
        self.seconds = seconds
        self.started = 0.0
        self.deadline = float("inf")
        self.stopped = threading.Event()

    def start(self) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds

    def check(self) -> None:
        if self.stopped.is_set() or time.monotonic() >= self.deadline:
            raise Stop
        with self.lock:
            if self.requests >= self.max_requests:
                raise Stop
            self.requests += 1

    def wait(self, seconds: float) -> None:
        """A pause that ends with the run."""
        if self.stopped.wait(max(0.0, min(seconds, self.deadline - time.monotonic()))):
            raise Stop
        if time.monotonic() >= self.deadline:
            raise Stop

    def record(
        self, name: str, seconds: float, error: str | None = None, unchanged: bool = False
    ) -> None:
        with self.lock:
            self.last_done = time.monotonic()
            self.unchanged[name] += unchanged
            self.times[name].append(seconds)
            if error:
                self.errors[name] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{name}: {error}")

    def fault(self, name: str, error: str) -> None:
        """A wrong answer inside a 200 (a sync op refused, a resend applied again)."""
        with self.lock:
            self.errors[name] += 1
            if len(self.samples) < 20:
                self.samples.append(f"{name}: {error}")


class Client:
    """One person's browser or phone: a session with its cookies and CSRF token."""

    def __init__(self, base: str, recorder: Recorder, timeout: float):
        self.base = base
        self.recorder = recorder
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "fieldapp-load/1"
        self.csrf = ""

    def call(self, name: str, method: str, path: str, **kw):
        """One timed request; None when it failed (counted as an error)."""
        self.recorder.check()
        timeout = kw.pop("timeout", self.timeout)
        cut_short = kw.pop("cut_short", False)  # a timeout is what we want: not an error
        headers = kw.pop("headers", {})
        if method != "GET":
            headers["X-CSRFToken"] = self.csrf
        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                self.base + path,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                **kw,
            )
            _ = response.content
        except requests.Timeout as exc:
            error = None if cut_short else type(exc).__name__
            self.recorder.record(name, time.perf_counter() - started, error)
            return None
        except requests.RequestException as exc:
            self.recorder.record(name, time.perf_counter() - started, type(exc).__name__)
            return None
        elapsed = time.perf_counter() - started
        ok = 200 <= response.status_code < 300 or response.status_code == 304
        error = None if ok else f"HTTP {response.status_code} {response.text[:200]!r}"
        self.recorder.record(name, elapsed, error, response.status_code == 304)
        return response if ok else None

    def sign_in(self, email: str) -> None:
        """As the browser does: the form's CSRF token, the post, then a page for the meta tag
        (before the measured minute: not counted)."""
        form = self.http.get(self.base + "/login", timeout=self.timeout)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = self.http.post(
            self.base + "/login",
            data={"csrf_token": token, "email": email, "password": PASSWORD, "remember": "1"},
            allow_redirects=False,
            timeout=self.timeout,
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {email}: HTTP {response.status_code}")
        page = self.http.get(self.base + "/more", timeout=self.timeout, allow_redirects=False)
        found = page.status_code == 200 and re.search(
            r'<meta name="csrf-token" content="([^"]+)"', page.text
        )
        if not found:
            raise RuntimeError("no CSRF token in the page")
        self.csrf = found.group(1)


def jpeg(seed: int) -> bytes:
    """A real photo-sized JPEG (800x600, some detail so it does not compress to nothing)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (800, 600), (rng.randint(0, 255), 120, 90))
    draw = ImageDraw.Draw(image)
    for _ in range(200):
        x, y = rng.randint(0, 800), rng.randint(0, 600)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.rectangle((x, y, x + rng.randint(5, 80), y + rng.randint(5, 60)), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


METERS = itertools.count(METER_BASE, 1000)


class Tech:
    """A tech's phone: pack, plotter pages, photos and the outbox."""

    def __init__(self, n: int, client: Client, world: dict, args, ledger: dict):
        self.n = n
        self.client = client
        self.rng = random.Random(100 + n)
        self.territory = world["territories"][n]
        self.skus = world["skus"]
        self.args = args
        self.ledger = ledger  # what was sent, for the checks afterwards
        self.etag = None
        self.cursor = None
        self.tried: set[str] = set()  # op ids sent at least once
        self.photos = [jpeg(n * 10 + k) for k in range(3)]

    def pause(self) -> None:
        if self.args.think:
            self.client.recorder.wait(self.rng.uniform(0.5, 1.5) * self.args.think)

    def fetch_pack(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        name, params = "GET /api/v1/pack", {}
        if self.cursor:  # a delta: what changed since the pack this cursor came with
            name, params = "GET /api/v1/pack?since=<cursor>", {"since": self.cursor}
        response = self.client.call(name, "GET", "/api/v1/pack", headers=headers, params=params)
        if response is not None and response.status_code == 200:
            self.etag = response.headers.get("ETag") or self.etag
            body = response.json()
            self.cursor = body.get("cursor") or self.cursor
            if self.cursor and params:
                with self.client.recorder.lock:
                    self.client.recorder.deltas[bool(body.get("delta"))] += 1

    def visit(self) -> dict:
        token = self.rng.choice(self.territory)
        self.client.call("GET /e/<token>", "GET", f"/e/{token}")
        if self.rng.random() < 0.3:  # a look at another plotter's history on the way
            self.client.call("GET /e/<token>", "GET", f"/e/{self.rng.choice(self.territory)}")
        self.pause()
        photo = uuid.uuid4()
        for _ in range(2):  # the outbox tries again before it sends the visit
            stored = self.client.call(
                "PUT /api/v1/photos/<id>",
                "PUT",
                f"/api/v1/photos/{photo}?kind=photo",
                data=self.rng.choice(self.photos),
                headers={"Content-Type": "image/jpeg"},
            )
            if stored is not None:
                self.ledger["photos"].add(photo)
                break
        finished = datetime.now(UTC) - timedelta(minutes=1)
        parts = [  # one line in five picked up at the warehouse: a level all techs share
            {
                "sku": sku,
                "quantity": self.rng.randint(1, 2),
                "from": "warehouse" if self.rng.random() < 0.2 else "van",
            }
            for sku in self.rng.sample(self.skus, self.rng.randint(1, 2))
        ]
        return {
            "id": str(uuid.uuid4()),
            "equipment": token,
            "job": None,
            "started_at": (finished - timedelta(minutes=45)).isoformat(),
            "finished_at": finished.isoformat(),
            "outcome": self.rng.choice(["fixed", "fixed", "pm_done", "no_fault_found"]),
            "summary": self.rng.choice(SUMMARIES),
            "error_codes": [self.rng.choice(CODES)],
            "meter_reading": next(METERS),
            "meter_note": "",
            "steps": [],
            "parts": parts,
            "photos": [str(photo)] if photo in self.ledger["photos"] else [],
            "signoff": {"name": "Dana Ruiz", "signature": None},
            "sop_version": None,
        }

    def send(self, ops: list[dict], *, again: bool = False, cut_short: bool = False) -> bool:
        """One POST of the batch; True when it was answered (a phone keeps it otherwise).
        A first send must be applied op by op, unless an earlier try went unanswered (then
        the server may have applied it: duplicate is right too); a resend all duplicates.
        cut_short: the phone stops waiting after 50 ms (the signal dropped), so the server
        applies the batch with nobody listening, perhaps while the phone sends it again."""
        name = "POST /api/v1/sync (resend)" if again else "POST /api/v1/sync"
        extra = {}
        if cut_short:
            name, extra = "POST /api/v1/sync (answer lost)", {"timeout": 0.05, "cut_short": True}
        tried_before = {op["id"] for op in ops if op["id"] in self.tried}
        self.tried.update(op["id"] for op in ops)
        for op in ops:  # sent (the server may have it even if no answer comes back)
            self.ledger["visits"][op["payload"]["id"]] = op["payload"]
        started = time.perf_counter()
        response = self.client.call(name, "POST", "/api/v1/sync", json={"ops": ops}, **extra)
        elapsed = time.perf_counter() - started
        if response is None:
            return False
        results = {r["id"]: r for r in response.json()["results"]}
        for op in ops:
            result = results.get(op["id"], {})
            status = result.get("status")
            if status in ("applied", "duplicate"):
                self.ledger["answered"].add(op["payload"]["id"])
            expected = ("duplicate",) if again else ("applied",)
            if op["id"] in tried_before and not again:
                expected = ("applied", "duplicate")
            if status not in expected:
                self.client.recorder.fault(name, f"op answered {status}: {result}")
        if not again and not cut_short and not tried_before:
            with self.client.recorder.lock:
                self.client.recorder.per_visit.append(elapsed / len(ops))
        return True

    def run(self) -> None:
        outbox: list[dict] = []
        for round_ in itertools.count():
            if round_ % self.args.pack_every == 0:
                self.fetch_pack()
                self.pause()
            if not outbox:
                for _ in range(self.rng.randint(1, 3)):
                    payload = self.visit()
                    outbox.append(
                        {"id": str(uuid.uuid4()), "type": "visit.record", "payload": payload}
                    )
                    self.pause()
            chance = self.rng.random()
            if chance < self.args.lost:
                self.send(outbox, cut_short=True)  # and at once again, as below
            if self.send(outbox):
                if chance > 1 - self.args.resend:
                    self.send(outbox, again=True)  # the answer came but was not kept
                outbox = []
            self.pause()


class Office:
    """An office screen: the dashboard with its live feed, the dispatch board now and then."""

    def __init__(self, n: int, client: Client, args):
        self.client = client
        self.args = args
        self.rng = random.Random(500 + n)
        self.after = 0
        self.etag = ""

    def open(self, name: str, path: str) -> None:
        page = self.client.call(name, "GET", path)
        if page is not None:
            found = re.search(r'data-after="(\d+)" data-etag="&quot;([^&]+)&quot;"', page.text)
            if found:
                self.after, self.etag = int(found.group(1)), f'"{found.group(2)}"'

    def poll(self, live: str) -> None:
        headers = {"Accept": "application/json", "If-None-Match": self.etag}
        response = self.client.call(
            "GET /api/v1/activity", "GET", f"/api/v1/activity?after={self.after}", headers=headers
        )
        if response is not None and response.status_code == 200:
            self.etag = response.headers.get("ETag", self.etag)
            self.after = max(self.after, response.json().get("latest", 0))
            self.client.call(f"GET {live}?part=live", "GET", f"{live}?part=live")

    def run(self) -> None:
        self.client.recorder.wait(self.rng.uniform(0, self.args.poll))
        while True:
            self.open("GET / (dashboard)", "/")
            for _ in range(4):
                self.client.recorder.wait(self.args.poll)
                self.poll("/")
            self.open("GET /jobs (board)", "/jobs")
            for _ in range(2):
                self.client.recorder.wait(self.args.poll)
                self.poll("/jobs")


def drive(base: str, world: dict, args) -> tuple[Recorder, dict, float]:
    recorder = Recorder(args.seconds, args.max_requests)
    ledger = {"visits": {}, "photos": set(), "answered": set()}
    people = []
    for n, email in enumerate(world["techs"]):
        client = Client(base, recorder, args.timeout)
        client.sign_in(email)
        people.append(Tech(n, client, world, args, ledger))
    for n, email in enumerate(world["office"]):
        client = Client(base, recorder, args.timeout)
        client.sign_in(email)
        people.append(Office(n, client, args))
    failures: list[str] = []

    def loop(person) -> None:
        try:
            person.run()
        except Stop:
            pass
        except Exception as exc:  # a bug in the driver or an answer it cannot read
            failures.append(f"{type(person).__name__}: {type(exc).__name__}: {exc}")
            recorder.stopped.set()

    threads = [threading.Thread(target=loop, args=(p,), daemon=True) for p in people]
    recorder.start()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(max(0.1, recorder.deadline - time.monotonic() + args.timeout + 5))
    finally:
        recorder.stopped.set()
    elapsed = max(recorder.last_done, recorder.deadline) - recorder.started
    elapsed = min(elapsed, time.monotonic() - recorder.started)
    for failure in failures:
        recorder.fault("driver", failure)
    return recorder, ledger, elapsed


def percentile(samples: list[float], q: float) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def report(recorder: Recorder, elapsed: float, label: str) -> int:
    total = sum(len(v) for v in recorder.times.values())
    errors = sum(recorder.errors.values())
    print(f"\n{label}: {total:,} requests in {elapsed:.1f} s = {total / elapsed:.1f} requests/s")
    print("| endpoint | count | of them 304 | p50 | p95 | p99 | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in sorted(set(recorder.times) | set(recorder.errors)):
        samples = recorder.times.get(name, [])
        if samples:
            cells = " | ".join(f"{percentile(samples, q) * 1000:.0f} ms" for q in (50, 95, 99))
        else:
            cells = " | ".join("-" for _ in range(3))
        unchanged = recorder.unchanged.get(name, 0)
        print(
            f"| `{name}` | {len(samples):,} | {unchanged or ''} | {cells} "
            f"| {recorder.errors.get(name, 0)} |"
        )
    if recorder.per_visit:
        per_visit = percentile(recorder.per_visit, 95) * 1000
        verdict = "PASS" if per_visit < 300 else "FAIL"
        print(
            f"\n{verdict} p95 per visit (batch time / visits in it): {per_visit:.0f} ms "
            f"(median {statistics.median(recorder.per_visit) * 1000:.0f} ms, "
            f"{len(recorder.per_visit):,} batches; goal under 300 ms)"
        )
    if sum(recorder.deltas):
        full, delta = recorder.deltas
        print(f"since=<cursor> answered {delta:,} times with a delta, {full:,} with a full pack")
    for sample in recorder.samples:
        print(f"  error: {sample}")
    print(f"{'PASS' if not errors else 'FAIL'} {errors} errors")
    return errors


def server_times(access_log: Path) -> None:
    """Each route's time inside a worker (gunicorn's access log, %(D)s), queueing left out,
    and its share of all the workers' time."""
    times: dict[str, list[float]] = defaultdict(list)
    for entry in access_log.read_text().splitlines():
        method, path, _status, micros = entry.split(" ")
        path = re.sub(r"^/e/[^/]+$", "/e/<token>", path)
        path = re.sub(r"^/api/v1/photos/[^/]+$", "/api/v1/photos/<id>", path)
        times[f"{method} {path}"].append(int(micros) / 1e6)
    busy = sum(sum(v) for v in times.values())
    print("\nInside the workers (from gunicorn's access log: no queueing, no network):")
    print("| route | count | p50 | p95 | worker time |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, samples in sorted(times.items(), key=lambda item: -sum(item[1])):
        cells = " | ".join(f"{percentile(samples, q) * 1000:.0f} ms" for q in (50, 95))
        share = sum(samples) / busy * 100 if busy else 0
        print(f"| `{name}` | {len(samples):,} | {cells} | {sum(samples):.1f} s ({share:.0f}%) |")


# -- the checks afterwards --------------------------------------------------------------------


def as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def verify(url: str, ledger: dict) -> int:
    """Straight in the database: each visit sent once, nothing extra, the stock ledger adds up."""
    engine = sa.create_engine(url)
    failed = 0

    def line(ok: bool, text: str) -> None:
        nonlocal failed
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {text}")

    sent = {uuid.UUID(v) for v in ledger["visits"]}
    answered = {uuid.UUID(v) for v in ledger["answered"]}
    with engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT v.id, v.status FROM visits v "
                "WHERE v.tech_id IN (SELECT id FROM users WHERE email LIKE '%@load.example')"
            )
        ).all()
        found = [as_uuid(r[0]) for r in rows]
        ids = set(found)
        line(len(found) == len(ids), f"no visit id twice ({len(found):,} visit rows)")
        line(
            answered <= ids,
            f"every answered visit is there ({len(answered):,} answered, "
            f"{len(answered - ids)} missing)",
        )
        line(ids <= sent, f"nothing extra: every visit found was sent ({len(ids - sent)} not)")
        unanswered = sent - answered
        print(
            f"     {len(sent):,} visits sent, {len(unanswered)} never answered "
            f"({len(unanswered & ids)} of those are in anyway)"
        )
        line(all(r[1] == "finished" for r in rows), "every visit is finished")
        uses = defaultdict(int)
        for visit_id, quantity in c.execute(
            sa.text(
                "SELECT visit_id, -quantity FROM stock_movements WHERE kind = 'use' "
                "AND actor_id IN (SELECT id FROM users WHERE email LIKE '%@load.example')"
            )
        ):
            uses[as_uuid(visit_id)] += quantity
        wrong = [
            v
            for v in ids
            if uses.get(v, 0) != sum(p["quantity"] for p in ledger["visits"][str(v)]["parts"])
        ]
        line(not wrong and set(uses) <= ids, f"each visit's parts used once ({len(wrong)} wrong)")
        meters = defaultdict(int)
        for (visit_id,) in c.execute(
            sa.text("SELECT visit_id FROM meter_readings WHERE visit_id IS NOT NULL")
        ):
            meters[as_uuid(visit_id)] += 1
        line(all(meters.get(v) == 1 for v in ids), "each visit has exactly one meter reading")
        photos, attached = set(), defaultdict(int)
        for photo_id, visit_id in c.execute(
            sa.text(
                "SELECT id, visit_id FROM photos "
                "WHERE uploaded_by_id IN (SELECT id FROM users WHERE email LIKE '%@load.example')"
            )
        ):
            photos.add(as_uuid(photo_id))
            if visit_id is not None:
                attached[as_uuid(visit_id)] += 1
        line(
            photos == ledger["photos"],
            f"the photos stored are the {len(ledger['photos']):,} uploaded, no more, no fewer",
        )
        line(
            all(attached.get(v, 0) == len(ledger["visits"][str(v)]["photos"]) for v in ids),
            "each visit has its photo",
        )
        mismatched = c.execute(
            sa.text(
                "SELECT l.part_id, l.location_id, l.quantity, COALESCE(m.total, 0) "
                "FROM stock_levels l LEFT JOIN (SELECT part_id, location_id, "
                "SUM(quantity) AS total FROM stock_movements GROUP BY part_id, location_id) m "
                "ON m.part_id = l.part_id AND m.location_id = l.location_id "
                "WHERE l.quantity <> COALESCE(m.total, 0)"
            )
        ).all()
        orphans = c.execute(
            sa.text(
                "SELECT m.part_id, m.location_id, SUM(m.quantity) FROM stock_movements m "
                "LEFT JOIN stock_levels l ON l.part_id = m.part_id AND l.location_id = "
                "m.location_id WHERE l.part_id IS NULL GROUP BY m.part_id, m.location_id "
                "HAVING SUM(m.quantity) <> 0"
            )
        ).all()
        levels = c.scalar(sa.text("SELECT count(*) FROM stock_levels"))
        line(
            not mismatched and not orphans,
            f"every stock level equals the sum of its movements ({levels:,} levels, "
            f"{len(mismatched)} differ, {len(orphans)} movements without a level)",
        )
        for row in mismatched[:5]:
            print(f"     part {row[0]} at location {row[1]}: level {row[2]}, movements {row[3]}")
    engine.dispose()
    return failed


def machine(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            database = "SQLite " + c.scalar(sa.text("SELECT sqlite_version()"))
        else:
            database = "PostgreSQL " + c.scalar(sa.text("SHOW server_version")).split()[0]
    engine.dispose()
    return f"Python {platform.python_version()}, {database}, {os.cpu_count()} cores"


def server_faults(log: Path) -> int:
    """Tracebacks in gunicorn's log (a sync op refused for a fault of ours is logged there)."""
    text = log.read_text(errors="replace")
    count = text.count("Traceback (most recent call last)")
    print(f"{'PASS' if not count else 'FAIL'} {count} tracebacks in the server's log")
    if count:
        first = text.index("Traceback (most recent call last)")
        print(text[max(0, text.rfind("\n", 0, first - 200)) : first + 3000])
    return count


# -- main -------------------------------------------------------------------------------------


def main() -> int:
    args = arguments()
    folder = Path(tempfile.mkdtemp(prefix="fieldapp-load-"))
    server = None
    try:
        if args.postgres:
            url, label = fresh_postgres(args.postgres), "PostgreSQL"
        else:
            url, label = f"sqlite:///{folder / 'load.sqlite3'}", "SQLite"
        env = server_env(url, folder)
        began = time.perf_counter()
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        world = seed(url, folder, args)
        print(
            f"{label}: demo business + {world['plotters']:,} active plotters, "
            f"{len(world['techs'])} techs with stocked vans, {len(world['office'])} office users "
            f"(seeded in {time.perf_counter() - began:.0f} s)"
        )
        server = Gunicorn(env, folder)
        server.wait_until_up()
        print(f"gunicorn {' '.join(GUNICORN)} on {server.base}; {args.seconds:g} s of load:")
        print(
            f"  {len(world['techs'])} techs (pause {args.think:g} s on average, the pack every "
            f"{args.pack_every} rounds, {args.resend:.0%} of batches resent, {args.lost:.0%} "
            f"with the answer lost), {len(world['office'])} office users (poll every "
            f"{args.poll:g} s); {machine(url)}"
        )
        load_before = os.getloadavg()[0]
        recorder, ledger, elapsed = drive(server.base, world, args)
        load_after = os.getloadavg()[0]
        server.stop()
        errors = report(recorder, elapsed, label)
        server_times(server.access_log)
        print(
            f"load average (1 min) {load_before:.1f} before the run, {load_after:.1f} at its end "
            f"({os.cpu_count()} cores)\n"
        )
        mismatches = verify(url, ledger) + server_faults(folder / "gunicorn.log")
        return 1 if errors or mismatches else 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping gunicorn and removing the temp folder")
        return 130
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Every form and JSON endpoint, walked with text too long and dates out of range: each answers
with its error (a 422, or the form again with the field's message), never a 500, and nothing
too long is stored. Forms are found on every page of the access table, the JSON endpoints in
the OpenAPI document, so a new form or endpoint is walked without a new line here. Runs on
SQLite and, with FIELDAPP_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.wire import TEXT_MAX, length_of
from tests.auth.test_access import ACCESS, subjects  # noqa: F401  (the fixture, reused)

TEXT_TYPES = {"text", "email", "tel", "search", "url", ""}
# Forms that only read (a filter, a search) or sign in: they store nothing a user typed.
READ_ONLY_FIELDS = {"q", "password", "current_password", "new_password", "confirm"}


class Forms(HTMLParser):
    """The POST forms of a page: action and fields (name, kind, value, maxlength)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": [], "multipart": False}
            self._form["multipart"] = attrs.get("enctype") == "multipart/form-data"
            self.forms.append(self._form)
        if self._form is None or "name" not in attrs:
            return
        if tag == "input":
            kind = (attrs.get("type") or "").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            self._form["fields"].append(
                (attrs["name"], kind, attrs.get("value") or "", attrs.get("maxlength"))
            )
        elif tag == "textarea":
            self._form["fields"].append((attrs["name"], "textarea", "", attrs.get("maxlength")))
        elif tag == "select":
            self._select = attrs["name"]
            self._form["fields"].append((attrs["name"], "select", None, None))
        elif tag == "option" and self._select:
            name, kind, value, _ = self._form["fields"][-1]
            if value is None or "selected" in attrs:
                self._form["fields"][-1] = (name, kind, attrs.get("value", ""), None)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


def post_forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return [
        form
        for form in parser.forms
        if any(
            f[1] in TEXT_TYPES | {"textarea"} | {"date", "datetime-local"} for f in form["fields"]
        )
    ]


def over_long(kind: str, maxlength: str | None) -> str:
    length = int(maxlength) + 1 if maxlength else TEXT_MAX + 1
    if kind == "email":
        return "a" * (length - len("@example.com")) + "@example.com"
    return "W" * length


def filled(form: dict, dates: str | None) -> dict:
    """The form with every text field one character over its limit (or, with dates, every
    date field at that date and the rest as the page had them)."""
    data = {}
    for name, kind, value, maxlength in form["fields"]:
        if dates and kind == "date":
            data[name] = dates
        elif dates and kind == "datetime-local":
            data[name] = f"{dates}T10:00"
        elif not dates and kind in TEXT_TYPES | {"textarea"} and name not in READ_ONLY_FIELDS:
            data[name] = over_long(kind, maxlength)
        else:
            data[name] = value or ("2" if kind == "number" else "x")
    return data


def longest_stored() -> list[str]:
    """Every text value in the database longer than its column (SQLite would keep them)."""
    found = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, sa.String) or isinstance(column.type, sa.Enum):
                    continue
                longest = connection.scalar(sa.select(sa.func.max(sa.func.length(column))))
                if longest and longest > length_of(column):
                    found.append(f"{table.name}.{column.name}: {longest}")
    return found


def dates_out_of_range() -> list[str]:
    """Jobs scheduled, or plotters installed, outside the windows the rules allow."""
    from fieldapp.equipment.models import Equipment
    from fieldapp.equipment.services import installed_window
    from fieldapp.jobs.models import Job
    from fieldapp.jobs.services import schedule_window

    earliest, latest = schedule_window()
    first, last = installed_window()
    jobs = db.session.scalars(
        sa.select(Job.id).where(sa.or_(Job.scheduled_for < earliest, Job.scheduled_for > latest))
    ).all()
    plotters = db.session.scalars(
        sa.select(Equipment.serial_number).where(
            sa.or_(Equipment.installed_on < first, Equipment.installed_on > last)
        )
    ).all()
    return [*jobs, *plotters]


def pages_for(role_index: int) -> list[str]:
    return sorted(
        path
        for path, statuses in ACCESS.items()
        if statuses[role_index] == 200 and not path.startswith("/api/") and "." not in path[-5:]
    )


@pytest.mark.parametrize(
    ("role", "role_index", "dates"),
    [
        ("admin", 3, None),
        ("admin", 3, "9999-12-31"),
        ("admin", 3, "1900-01-01"),
        ("tech", 1, None),
        ("public", 0, None),
    ],
)
def test_every_form_refuses_what_is_too_long_or_out_of_range(
    client,
    auth,
    subjects,  # noqa: F811
    role,
    role_index,
    dates,
):
    """Does every POST form on every page say its limits, and answer over-long text and
    far dates with its error, never a 500, storing nothing too long?"""
    if role != "public":
        auth.login(role)
    walked, unlimited, server_errors = 0, [], []
    for path in pages_for(role_index):
        page = client.get(path.format(**subjects))
        html = page.get_data(as_text=True) if "text/html" in page.content_type else ""
        page.close()
        for form in post_forms(html):
            action = form["action"] or path.format(**subjects)
            if action.endswith("/logout"):
                continue
            for name, kind, _, maxlength in form["fields"]:
                if (
                    kind in TEXT_TYPES | {"textarea"}
                    and not maxlength
                    and name not in READ_ONLY_FIELDS
                ):
                    unlimited.append(f"{path} -> {action}: {name}")
            response = client.post(action, data=filled(form, dates))
            walked += 1
            if response.status_code >= 500:
                server_errors.append(f"{path} -> {action}: {response.status_code}")
            response.close()
    assert walked > 0
    assert server_errors == []
    assert dates_out_of_range() == []
    if not dates:
        assert unlimited == [], "\n".join(unlimited)
    assert longest_stored() == []


def _body_for(schema: dict, components: dict, depth: int = 0) -> object:
    """A JSON value for an OpenAPI schema with every string too long and every date too far."""
    if "$ref" in schema:
        return _body_for(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {
            name: _body_for(prop, components, depth + 1)
            for name, prop in schema.get("properties", {}).items()
            if not prop.get("readOnly")
        }
    if kind == "array":
        return [_body_for(schema.get("items", {}), components, depth + 1)]
    if kind == "string":
        if schema.get("format") == "date":
            return "9999-12-31"
        if schema.get("format") == "date-time":
            return "9999-12-31T10:00:00Z"
        if schema.get("format") == "uuid":
            return "6f1c2d3e-0000-4000-8000-000000000001"
        if "enum" in schema:
            return schema["enum"][0]
        return "W" * ((schema.get("maxLength") or TEXT_MAX) + 1)
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    return None


def test_every_json_endpoint_refuses_what_is_too_long(client, auth, subjects):  # noqa: F811
    """Does every JSON write of the OpenAPI document answer an over-long body with a 422 and
    field messages, never a 500?"""
    auth.login("admin")
    document = client.get("/api/v1/openapi.json").json
    components = document["components"]["schemas"]
    values = {
        "number": subjects["job_number"],
        "slug": subjects["sop"],
        "request_id": subjects["restock"],
        "sku": subjects["sku"],
        "photo_id": "6f1c2d3e-0000-4000-8000-000000000002",
        "contract_id": subjects["contract"],
        "plan_id": subjects["plan"],
    }
    writes = [
        (method, path, operation["requestBody"]["content"]["application/json"]["schema"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    walked, wrong, techs_only = 0, [], []
    for role in ("admin", "tech"):
        if role == "tech":
            auth.logout()
            auth.login("tech")
            writes, techs_only = techs_only, []
        for method, path, schema in writes:
            url = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)
            response = client.open(url, method=method.upper(), json=_body_for(schema, components))
            walked += 1
            if response.status_code == 403 and role == "admin":
                techs_only.append((method, path, schema))
                continue
            # The sync envelope is a 400 when malformed (its ops are checked one by one).
            expected = 400 if path == "/api/v1/sync" else 422
            if response.status_code != expected or "fields" not in response.json["error"]:
                wrong.append(f"{method} {path}: {response.status_code} {response.get_data()[:200]}")
    assert walked >= 10
    assert wrong == [], "\n".join(wrong)
    assert longest_stored() == []


def test_sync_ops_with_text_too_long_are_rejected_by_field(client, auth, site):
    """Is an op with over-long text a rejected result naming the field, never a failed batch
    or a row the database refuses?"""
    from fieldapp.equipment.services import issue_unclaimed_labels

    label = issue_unclaimed_labels(1, actor_id=None)[0]
    db.session.commit()
    auth.login(user=site.tech)
    long = "W" * (TEXT_MAX + 1)
    payloads = {
        "message.post": {
            "job": site.job.number,
            "id": "6f1c2d3e-0000-4000-8000-000000000011",
            "body": long,
        },
        "job.status": {"job": site.job.number, "status": "in_progress", "reason": long},
        "label.claim": {
            "token": label.token,
            "new_equipment": {
                "customer_id": site.plotter.customer_id,
                "make": "HP",
                "model": "DesignJet T830",
                "serial_number": "S" * 41,
            },
        },
    }
    ops = [
        {"id": f"6f1c2d3e-0000-4000-8000-{index:012d}", "type": kind, "payload": payload}
        for index, (kind, payload) in enumerate(payloads.items(), start=100)
    ]
    response = client.post("/api/v1/sync", json={"ops": ops})
    assert response.status_code == 200
    results = response.json["results"]
    assert [result["status"] for result in results] == ["rejected"] * 3
    assert all(result.get("fields") for result in results), results
    assert longest_stored() == []

"""The API's edge: error shapes, JSON 401, 400 for malformed bodies, 422 with field messages."""

from __future__ import annotations

import uuid

import pytest

from tests import factories
from tests.conftest import make_test_app


def assert_error(response, status, code):
    assert response.status_code == status
    assert response.is_json, response.get_data(as_text=True)[:200]
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def test_no_session_gets_a_json_401_not_a_redirect(client):
    response = client.get("/api/v1/me")
    assert_error(response, 401, "unauthorized")


def test_me_returns_the_signed_in_user(client, auth):
    user = auth.login("office", name="Maria Chen")
    assert client.get("/api/v1/me").json == {
        "id": user.id,
        "email": user.email,
        "name": "Maria Chen",
        "role": "office",
    }


def test_malformed_body_is_a_400(client, auth):
    """Is a body that is not JSON a 400 with the error shape?"""
    auth.login("tech")
    response = client.post("/api/v1/me/password", data="{not json", content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_invalid_data_is_a_422_with_field_messages(client, auth):
    auth.login("tech")
    response = client.post("/api/v1/me/password", json={"new_password": "short"})
    assert_error(response, 422, "validation_error")
    fields = response.json["error"]["fields"]
    assert "current_password" in fields
    assert "new_password" in fields


def test_domain_rule_is_a_422_and_changes_nothing(client, auth):
    """Is a wrong current password a 422 on its field, with the password unchanged?"""
    user = auth.login("tech")
    response = client.post(
        "/api/v1/me/password",
        json={"current_password": "wrong-one", "new_password": "another-long-password"},
    )
    assert_error(response, 422, "validation_error")
    assert response.json["error"]["fields"] == {
        "current_password": ["That is not your current password."]
    }
    assert user.check_password(factories.PASSWORD)


def test_unknown_api_path_is_a_json_404(client, auth):
    auth.login("tech")
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_json_405(client, auth):
    auth.login("tech")
    assert_error(client.delete("/api/v1/me"), 405, "method_not_allowed")


def test_server_error_is_json_without_a_trace(app, client, auth):
    """Does a crash in an API view answer JSON without a stack trace?"""
    from fieldapp.api import api  # noqa: F401
    from fieldapp.auth.access import STAFF, allow

    @allow(STAFF)
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/boom", "api.boom", boom)
    auth.login("tech")
    response = client.get("/api/v1/boom")
    assert_error(response, 500, "server_error")
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data


def test_openapi_document_is_generated_from_the_schemas(client):
    """Does the OpenAPI document describe the endpoints with their marshmallow schemas?"""
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "User" in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["User"]["properties"]) == {
        "id",
        "email",
        "name",
        "role",
    }
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/User"
    }
    password = spec["paths"]["/api/v1/me/password"]["post"]
    body = password["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PasswordChange"}


def test_an_unsafe_call_without_a_session_is_401_not_a_csrf_failure(tmp_path, postgres_schema):
    """With CSRF on, is a POST without a session told to sign in (401), not that a token is
    missing?"""
    app = make_test_app(tmp_path, postgres_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        for method, path in (
            ("post", "/api/v1/sync"),
            ("post", "/api/v1/visits"),
            ("put", f"/api/v1/photos/{uuid.uuid4()}"),
        ):
            assert_error(getattr(client, method)(path, json={}), 401, "unauthorized")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/equipment?customer=9223372036854775808",
        "/api/v1/equipment?page=99999999999999999999",
        "/api/v1/equipment?page=10000000&per_page=200",
        "/api/v1/equipment?per_page=-1",
        "/api/v1/activity?after=-100000000000000000000",
        "/api/v1/activity?after=abc",
        "/api/v1/jobs/J-99999999999999999999999/messages",
        "/api/v1/equipment/" + "Z" * 5000,
    ],
)
def test_bad_query_input_is_a_clear_error_never_a_500(client, auth, path):
    auth.login("office")
    response = client.get(path)
    assert response.status_code in (200, 404, 422), (path, response.status_code)
    assert response.is_json


def test_json_nested_too_deep_is_a_400(client, auth):
    auth.login("tech")
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/sync", data=body, content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_openapi_documents_every_status_an_operation_answers(client):
    """404, 409, 413 and 429 are part of the error model: are they in the document?"""
    paths = client.get("/api/v1/openapi.json").json["paths"]
    photo = paths["/api/v1/photos/{photo_id}"]["put"]["responses"]
    assert {"200", "201", "400", "401", "403", "404", "409", "413", "422"} <= set(photo)
    visits = paths["/api/v1/visits"]["post"]["responses"]
    assert {"201", "200", "409", "413", "422"} <= set(visits)
    me = paths["/api/v1/me"]["get"]["responses"]
    assert {"200", "400", "401", "403"} <= set(me)
    for operations in paths.values():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }

"""flask user create | list | deactivate."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.auth.models import User
from fieldapp.auth.services import find_user_by_email
from fieldapp.extensions import db


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_create_with_password_from_stdin(runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "Sam@Example.com",
            "--name",
            "Sam Okafor",
            "--role",
            "tech",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created tech Sam Okafor <sam@example.com>" in result.output
    assert find_user_by_email("sam@example.com").check_password("a-long-password")


def test_create_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["user", "create", "maria@example.com", "--name", "Maria Chen", "--role", "office"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert find_user_by_email("maria@example.com").role == "office"


def test_bad_role_exits_non_zero_and_changes_nothing(runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "boss",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    assert result.exit_code != 0
    assert "boss" in result.output
    assert count_users() == 0


def test_bad_email_and_short_password_exit_non_zero(runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "not-an-email",
            "--name",
            "X",
            "--role",
            "tech",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "email" in result.output
    assert count_users() == 0
    result = runner.invoke(
        args=[
            "user",
            "create",
            "ok@example.com",
            "--name",
            "X",
            "--role",
            "tech",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert count_users() == 0


def test_duplicate_email_exits_non_zero(runner):
    args = [
        "user",
        "create",
        "sam@example.com",
        "--name",
        "Sam",
        "--role",
        "tech",
        "--password-stdin",
    ]
    assert runner.invoke(args=args, input="a-long-password\n").exit_code == 0
    result = runner.invoke(args=args, input="another-password\n")
    assert result.exit_code == 1
    assert "already a user" in result.output
    assert find_user_by_email("sam@example.com").check_password("a-long-password")


def test_missing_name_exits_non_zero(runner):
    result = runner.invoke(args=["user", "create", "x@example.com", "--role", "tech"])
    assert result.exit_code == 2
    assert "--name" in result.output


def test_list_and_deactivate(runner):
    runner.invoke(
        args=[
            "user",
            "create",
            "sam@example.com",
            "--name",
            "Sam Okafor",
            "--role",
            "tech",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    listed = runner.invoke(args=["user", "list"])
    assert "sam@example.com" in listed.output and "active" in listed.output
    result = runner.invoke(args=["user", "deactivate", "SAM@example.com"])
    assert result.exit_code == 0
    assert find_user_by_email("sam@example.com").active is False
    assert "deactivated" in runner.invoke(args=["user", "list"]).output


def test_deactivate_unknown_user_exits_non_zero(runner):
    result = runner.invoke(args=["user", "deactivate", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No user with the email nobody@example.com" in result.output


def test_list_when_empty_says_how_to_start(runner):
    assert "No users yet" in runner.invoke(args=["user", "list"]).output

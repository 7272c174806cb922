"""The shell's own fixtures: a copy of static/ and templates/ a test may change."""

from __future__ import annotations

import shutil

import pytest

from fieldapp import PROJECT_ROOT


@pytest.fixture
def shell_copy(tmp_path):
    """static/ and templates/ copied, with an instance folder of their own."""
    static = tmp_path / "static"
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "static", static)
    shutil.copytree(PROJECT_ROOT / "templates", templates)
    return static, templates, tmp_path / "instance"

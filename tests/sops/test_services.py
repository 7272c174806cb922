"""SOP services the editor and the API lean on: what changed between versions, slugs, deleting
an SOP never published, and steps that keep their key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fieldapp.errors import Conflict
from fieldapp.sops.content import SopContent, StepText
from fieldapp.sops.services import (
    create_sop,
    delete_unpublished_sop,
    draft_content,
    publish_draft,
    save_draft,
    sop_by_slug,
    version_changes,
)
from fieldapp.unit_of_work import unit_of_work


def content(*steps: StepText, title="Belt replacement") -> SopContent:
    return SopContent(title=title, category="repair", steps=steps)


def first_version(*steps: StepText):
    with unit_of_work():
        sop = create_sop(content(*steps), author_id=None)
        return publish_draft(sop, change_note="", author_id=None)


def next_version(old, edit):
    """Publish the next version from the current text with edit(steps) applied."""
    with unit_of_work():
        sop = sop_by_slug(old.sop.slug)
        current = draft_content(sop)
        save_draft(sop, content(*edit(list(current.steps))), author_id=None)
        return publish_draft(sop, change_note="", author_id=None)


A = StepText("Power off", "Unplug it too.", "check")
B = StepText("Belt tension", "", "measure", unit="N", min_value=4, max_value=6)
C = StepText("Test plot", "", "pass_fail")


def kinds(changes):
    return [(change.kind, (change.after or change.before).title) for change in changes]


def test_an_added_step(app):
    v1 = first_version(A, B)
    v2 = next_version(v1, lambda s: [s[0], StepText("Clean the rod", "", "check"), s[1]])
    assert kinds(version_changes(v1, v2)) == [
        ("unchanged", "Power off"),
        ("added", "Clean the rod"),
        ("unchanged", "Belt tension"),
    ]


def test_a_removed_step_stays_where_it_stood(app):
    v1 = first_version(A, B, C)
    v2 = next_version(v1, lambda s: [s[0], s[2]])
    changes = version_changes(v1, v2)
    assert kinds(changes) == [
        ("unchanged", "Power off"),
        ("removed", "Belt tension"),
        ("unchanged", "Test plot"),
    ]
    assert changes[1].after is None and changes[1].before.position == 2


def test_a_moved_step(app):
    v1 = first_version(A, B, C)
    v2 = next_version(v1, lambda s: [s[2], s[0], s[1]])
    changes = version_changes(v1, v2)
    assert kinds(changes) == [
        ("moved", "Test plot"),
        ("unchanged", "Power off"),
        ("unchanged", "Belt tension"),
    ]
    assert (changes[0].before.position, changes[0].after.position) == (3, 1)


def test_a_reworded_step_keeps_both_texts(app):
    v1 = first_version(A, B)
    v2 = next_version(v1, lambda s: [replace(s[0], detail="Unplug."), s[1]])
    change = version_changes(v1, v2)[0]
    assert change.kind == "reworded" and change.details == ("detail",)
    assert (change.before.detail, change.after.detail) == ("Unplug it too.", "Unplug.")


def test_changed_settings_are_named(app):
    v1 = first_version(A, B)
    v2 = next_version(v1, lambda s: [replace(s[0], required=False), replace(s[1], max_value=7)])
    changes = version_changes(v1, v2)
    assert [(c.kind, c.details) for c in changes] == [
        ("changed", ("required",)),
        ("changed", ("max_value",)),
    ]


def test_a_step_retitled_from_scratch_is_a_new_step(app):
    """A step written again without its key is a removal and an addition, not a rewording."""
    v1 = first_version(A)
    v2 = next_version(v1, lambda s: [StepText("Switch off at the wall", "", "check")])
    assert kinds(version_changes(v1, v2)) == [
        ("removed", "Power off"),
        ("added", "Switch off at the wall"),
    ]


def test_deleting_an_sop_never_published(app):
    with unit_of_work():
        create_sop(content(A, title="Scratch"), author_id=None)
    with unit_of_work():
        delete_unpublished_sop(sop_by_slug("scratch"), actor_id=None)
    assert sop_by_slug("scratch") is None
    v1 = first_version(A)
    with pytest.raises(Conflict), unit_of_work():
        delete_unpublished_sop(v1.sop, actor_id=None)
    assert sop_by_slug(v1.sop.slug) is not None

"""When a person leaves: what they hold (open jobs, van stock, unfinished work) and where it
goes, moved in the same unit of work that deactivates them.

The account page, the holdings page and the `user deactivate` command all come through here,
so nothing is ever left assigned to someone who can no longer sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fieldapp.auth import services as accounts
from fieldapp.auth.models import User
from fieldapp.errors import Invalid
from fieldapp.inventory import vans
from fieldapp.inventory.models import StockLevel, StockLocation
from fieldapp.inventory.queries import levels_at
from fieldapp.inventory.services import location_by_id, van_of, warehouse
from fieldapp.jobs.models import Job
from fieldapp.jobs.queries import open_jobs_for_tech
from fieldapp.jobs.services import active_tech, assign_job
from fieldapp.sops.models import SopDraft
from fieldapp.sops.queries import drafts_last_edited_by
from fieldapp.sync.queries import last_sync_of
from fieldapp.visits.models import Visit
from fieldapp.visits.queries import unfinished_visits_of

UNASSIGNED = None  # a job choice: back with the unassigned jobs


@dataclass
class Holdings:
    """What a person holds that the office must place before they go."""

    user: User
    jobs: list[Job]
    van: StockLocation | None
    stock: list[StockLevel]  # the van's levels that are not zero
    visits: list[Visit]  # started, not finished: they stay with the person's history
    sop_drafts: list[SopDraft]
    last_sync: datetime | None
    parts: int = 0  # how many parts the van held (counted before anything moves)

    def __post_init__(self) -> None:
        self.parts = sum(level.quantity for level in self.stock if level.quantity > 0)

    @property
    def must_move(self) -> bool:
        """Whether deactivating needs a choice first (open jobs or parts in the van)."""
        return bool(self.jobs or self.stock)


def holdings_of(user: User) -> Holdings:
    van = van_of(user.id)
    stock = [level for level in levels_at(van.id) if level.quantity] if van and van.active else []
    return Holdings(
        user=user,
        jobs=open_jobs_for_tech(user.id),
        van=van,
        stock=stock,
        visits=unfinished_visits_of(user.id),
        sop_drafts=drafts_last_edited_by(user.id),
        last_sync=last_sync_of(user.id),
    )


def _plan_jobs(
    holdings: Holdings, jobs_to: int | None, per_job: dict[int, int | None]
) -> dict[Job, User | None]:
    """Where each open job goes, every choice checked before anything is written."""
    errors: dict[str, list[str]] = {}
    plan: dict[Job, User | None] = {}
    for job in holdings.jobs:
        target_id = per_job.get(job.id, jobs_to)
        field = f"job_{job.id}" if job.id in per_job else "jobs_to"
        if target_id is UNASSIGNED:
            if job.status == "in_progress":
                errors.setdefault(field, []).append(
                    f"{job.number} is in progress: a visit is under way. Choose a tech to "
                    "take it over."
                )
            plan[job] = None
            continue
        tech = active_tech(target_id)
        if tech is None or tech.id == holdings.user.id:
            errors.setdefault(field, []).append(
                f"Choose an active technician for {job.number}, or put it back with the "
                "unassigned jobs."
            )
        plan[job] = tech
    if errors:
        raise Invalid("Choose where every open job goes.", errors)
    return plan


def _stock_target(holdings: Holdings, stock_to_id: int | None) -> StockLocation | None:
    target = location_by_id(stock_to_id, "stock_to") if stock_to_id is not None else None
    if not holdings.stock:
        return None
    if target is None:
        return warehouse()
    if target.id not in {place.id for place in vans.places_for_van_stock(holdings.user)}:
        raise Invalid.field(
            "stock_to", "Choose the warehouse or another tech's van for the van's stock."
        )
    return target


def _jobs_summary(plan: dict[Job, User | None]) -> str:
    by_target: dict[str, list[str]] = {}
    for job, tech in plan.items():
        by_target.setdefault(tech.name if tech else "unassigned", []).append(job.number)
    parts = []
    for target, numbers in by_target.items():
        where = "back to unassigned" if target == "unassigned" else f"to {target}"
        parts.append(f"{', '.join(numbers)} {where}")
    return "; ".join(parts)


def deactivate_with_handover(
    user: User,
    *,
    jobs_to: int | None,
    per_job: dict[int, int | None] | None = None,
    stock_to_id: int | None,
    actor_id: int | None,
) -> Holdings:
    """Deactivate user after moving their open jobs (to jobs_to, or per_job's choice for a
    job; None: unassigned) and their van's stock (to stock_to_id, else the warehouse) through
    the stock ledger. Everything is checked first; the caller's unit of work commits it all
    or nothing. Returns what they held."""
    accounts.check_may_deactivate(user, actor_id=actor_id)
    holdings = holdings_of(user)
    plan = _plan_jobs(holdings, jobs_to, per_job or {})
    stock_to = _stock_target(holdings, stock_to_id)
    for job, tech in plan.items():
        assign_job(job, tech.id if tech else None, job.scheduled_for, actor_id)
    vans.hand_back_van(user, stock_to, actor_id=actor_id)
    moved = []
    if plan:
        moved.append(_jobs_summary(plan))
    if holdings.parts:
        target = stock_to or warehouse()
        moved.append(f"{holdings.parts} part{'s' if holdings.parts != 1 else ''} to {target.name}")
    accounts.end_account(user, actor_id=actor_id, handed_over="; ".join(moved))
    return holdings


def deactivate_by_email(
    email: str, *, jobs_to_email: str = "", stock_to_id: int | None, actor_id: int | None
) -> Holdings:
    """The command's deactivation: open jobs go to the tech with jobs_to_email, else back to
    the unassigned ones (a job under way then is refused: someone must take it over); the
    van's stock goes to stock_to_id or the warehouse."""
    user = accounts.find_user_or_fail(email)
    jobs_to = accounts.find_user_or_fail(jobs_to_email).id if jobs_to_email else UNASSIGNED
    return deactivate_with_handover(
        user, jobs_to=jobs_to, stock_to_id=stock_to_id, actor_id=actor_id
    )


def change_account(user: User, *, stock_to_id: int | None, actor_id: int, **fields) -> User:
    """Save an account from its edit form. A person who still holds open jobs or van stock
    is deactivated only through the holdings page (refused here); a tech with open jobs
    keeps the tech role until they are reassigned."""
    leaving = user.active and not fields["active"]
    stops_teching = user.role == "tech" and fields["role"] != "tech"
    if leaving or stops_teching:
        holdings = holdings_of(user)
        if leaving and holdings.must_move:
            raise Invalid(
                f"{user.name} still holds open jobs or van stock: choose where they go "
                "before deactivating."
            )
        if stops_teching and holdings.jobs:
            count = len(holdings.jobs)
            raise Invalid.field(
                "role",
                f"{user.name} still has {count} open job{'s' if count != 1 else ''} "
                f"({', '.join(job.number for job in holdings.jobs)}): reassign "
                f"{'them' if count != 1 else 'it'} before changing the role.",
            )
    return vans.change_user(user, stock_to_id=stock_to_id, actor_id=actor_id, **fields)

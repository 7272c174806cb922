"""Every feature's models, imported so Alembic and the app see one metadata."""

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import LoginAttempt, User, UserSession
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.customers.models import Contact, Customer, Site
from fieldapp.equipment.models import Equipment, MeterReading, QrLabel
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    StockLevel,
    StockLocation,
    StockMovement,
)
from fieldapp.jobs.models import Job
from fieldapp.messages.models import Message, ThreadRead
from fieldapp.notify.models import (
    MailOptOut,
    NotificationChoice,
    OutboxMail,
    OutboxPush,
    PushSubscription,
)
from fieldapp.photos.models import Photo
from fieldapp.public.models import ServiceRequest
from fieldapp.settings.models import Setting
from fieldapp.sops.models import Sop, SopDraft, SopStep, SopStepImage, SopTraining, SopVersion
from fieldapp.sync.models import PackChange, SyncOp
from fieldapp.throttle.models import ThrottleCounter
from fieldapp.visits.models import StepResult, Visit, VisitErrorCode

__all__ = [
    "ActivityEvent",
    "Contact",
    "Contract",
    "Customer",
    "Site",
    "Equipment",
    "Job",
    "LoginAttempt",
    "MailOptOut",
    "Message",
    "NotificationChoice",
    "OutboxMail",
    "OutboxPush",
    "PackChange",
    "MeterReading",
    "Part",
    "PartCompatibility",
    "PmPlan",
    "Photo",
    "PushSubscription",
    "QrLabel",
    "ServiceRequest",
    "Setting",
    "Sop",
    "SopDraft",
    "SopStep",
    "SopStepImage",
    "SopTraining",
    "SopVersion",
    "StepResult",
    "StockLevel",
    "StockLocation",
    "StockMovement",
    "SyncOp",
    "ThrottleCounter",
    "ThreadRead",
    "User",
    "UserSession",
    "Visit",
    "VisitErrorCode",
]

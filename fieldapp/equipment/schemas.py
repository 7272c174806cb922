"""JSON shapes of plotters at the API edge."""

from marshmallow import Schema, fields, validate

from fieldapp.wire import Text, Whole

MAX_PAGE = 100_000


class CustomerRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class HistorySummarySchema(Schema):
    visits = fields.Integer()
    last_visit_at = fields.DateTime(allow_none=True)


class EquipmentSchema(Schema):
    id = fields.Integer(dump_only=True)
    qr_token = fields.String(dump_only=True)
    qr_url = fields.String(dump_only=True)
    short_code = fields.String(dump_only=True)
    make = fields.String()
    model = fields.String()
    serial_number = fields.String()
    location_note = fields.String()
    installed_on = fields.Date(allow_none=True)
    status = fields.String()
    customer = fields.Nested(CustomerRefSchema)
    history = fields.Nested(HistorySummarySchema)


class EquipmentPageSchema(Schema):
    items = fields.List(fields.Nested(EquipmentSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class EquipmentQuerySchema(Schema):
    q = Text(200, load_default="")
    serial = Text(40, load_default="")
    customer = Whole(1, strict=False, load_default=None)
    status = fields.String(
        load_default="active", validate=validate.OneOf(["active", "retired", "all"])
    )
    page = Whole(1, MAX_PAGE, strict=False, load_default=1)
    per_page = Whole(1, 200, strict=False, load_default=50)

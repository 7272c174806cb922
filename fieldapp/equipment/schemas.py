"""JSON shapes of plotters at the API edge."""

from marshmallow import Schema, fields, validate


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
    q = fields.String(load_default="")
    serial = fields.String(load_default="")
    customer = fields.Integer(load_default=None, validate=validate.Range(min=1))
    status = fields.String(
        load_default="active", validate=validate.OneOf(["active", "retired", "all"])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

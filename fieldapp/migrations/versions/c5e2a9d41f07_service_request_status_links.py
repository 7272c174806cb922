"""Service request status links

service_requests.status_token: the long random secret of the status page a requester
follows (/r/<token>); every request made before gets one.

Revision ID: c5e2a9d41f07
Revises: 10723e21c3c4
Create Date: 2026-12-06 19:40:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e2a9d41f07"
down_revision = "10723e21c3c4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_token", sa.String(length=43), nullable=True))
    requests = sa.table("service_requests", sa.column("id"), sa.column("status_token"))
    connection = op.get_bind()
    for (request_id,) in connection.execute(sa.select(requests.c.id)).all():
        connection.execute(
            requests.update()
            .where(requests.c.id == request_id)
            .values(status_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.alter_column("status_token", existing_type=sa.String(length=43), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_service_requests_status_token"), ["status_token"]
        )


def downgrade():
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_service_requests_status_token"), type_="unique")
        batch_op.drop_column("status_token")

"""who scheduled an issue and who cancelled a send; the send's shared rate slot; issues whose
send was cancelled end ``cancelled``

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issues", sa.Column("scheduled_by", sa.String(254), nullable=True))
    op.add_column("sends", sa.Column("cancelled_by", sa.String(254), nullable=True))
    # The next free slot of the send's per-second rate, shared by every replica.
    op.add_column("sends", sa.Column("next_slot_at", UtcDateTime(), nullable=True))
    # An issue whose send was cancelled stayed ``sending``: it ends ``cancelled``.
    op.execute(
        "UPDATE issues SET status = 'cancelled' WHERE status = 'sending' AND id IN "
        "(SELECT issue_id FROM sends WHERE status = 'cancelled')"
    )


def downgrade() -> None:
    with op.batch_alter_table("sends") as batch:
        batch.drop_column("next_slot_at")
        batch.drop_column("cancelled_by")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("scheduled_by")

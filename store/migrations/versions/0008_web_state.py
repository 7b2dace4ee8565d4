"""web state shared by web processes: admin sessions, login attempts, sign-up mails

Revision ID: 0008_web_state
Revises: 0007_event_sequence
Create Date: 2026-12-07

Several `vahti serve` processes behind one proxy share these: admin sessions revocable on the
server (logout, a changed password), the failed-login limit per client, and the sign-up
limits (per address case-insensitively, per client, and in all).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008_web_state"
down_revision = "0007_event_sequence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_admin_sessions")),
    )
    op.create_index(
        op.f("ix_admin_sessions_last_seen_at"), "admin_sessions", ["last_seen_at"], unique=False
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        "ix_login_attempts_client_at", "login_attempts", ["client", "attempted_at"], unique=False
    )
    op.create_index(
        op.f("ix_login_attempts_attempted_at"), "login_attempts", ["attempted_at"], unique=False
    )
    op.create_table(
        "signup_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_key", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_mails")),
    )
    op.create_index(
        "ix_signup_mails_address_at", "signup_mails", ["address_key", "sent_at"], unique=False
    )
    op.create_index(
        "ix_signup_mails_client_at", "signup_mails", ["client", "sent_at"], unique=False
    )
    op.create_index(op.f("ix_signup_mails_sent_at"), "signup_mails", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_table("signup_mails")
    op.drop_table("login_attempts")
    op.drop_table("admin_sessions")

"""Mailing lists: lists, subscriptions, posts, the per-recipient outbox, bounce events

Revision ID: 632e914d8ef5
Revises: c6e7d6669880
Create Date: 2026-11-22 18:04:54.202556
"""

import sqlalchemy as sa
from alembic import op

revision = '632e914d8ef5'
down_revision = 'c6e7d6669880'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mailing_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subscription_policy', sa.String(length=32), nullable=False),
    sa.Column('posting_policy', sa.String(length=32), nullable=False),
    sa.Column('subscribe_members', sa.Boolean(), nullable=False),
    sa.Column('reply_to', sa.String(length=16), nullable=False),
    sa.Column('reply_to_address', sa.String(length=254), nullable=True),
    sa.Column('archive_visibility', sa.String(length=16), nullable=False),
    sa.Column('subject_prefix', sa.String(length=64), nullable=False),
    sa.Column('footer', sa.Text(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("archive_visibility IN ('public', 'members', 'none')", name=op.f('ck_mailing_lists_archive_visibility_valid')),
    sa.CheckConstraint("kind IN ('announce', 'discussion')", name=op.f('ck_mailing_lists_kind_valid')),
    sa.CheckConstraint("posting_policy IN ('focal_contacts', 'members', 'subscribers')", name=op.f('ck_mailing_lists_posting_policy_valid')),
    sa.CheckConstraint("reply_to IN ('sender', 'list', 'address')", name=op.f('ck_mailing_lists_reply_to_valid')),
    sa.CheckConstraint("subscription_policy IN ('open', 'confirm_then_moderate', 'members_only', 'closed')", name=op.f('ck_mailing_lists_subscription_policy_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailing_lists')),
    sa.UniqueConstraint('name', name=op.f('uq_mailing_lists_name'))
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('delivery_enabled', sa.Boolean(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('bounce_score', sa.Float(), nullable=False),
    sa.Column('last_bounce_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('subscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=16), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("ended_by IS NULL OR ended_by IN ('self', 'manager', 'membership', 'erasure')", name=op.f('ck_subscriptions_ended_by_valid')),
    sa.CheckConstraint("source IN ('web', 'admin', 'import', 'membership', 'profile', 'email', 'demo')", name=op.f('ck_subscriptions_source_valid')),
    sa.CheckConstraint("status IN ('pending', 'active', 'unsubscribed', 'disabled')", name=op.f('ck_subscriptions_status_valid')),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_lists.id'], name=op.f('fk_subscriptions_list_id_mailing_lists')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_subscriptions_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('list_id', 'email', name=op.f('uq_subscriptions_list_id_email')),
    sa.UniqueConstraint('token', name=op.f('uq_subscriptions_token'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_list_status', ['list_id', 'status', 'delivery_enabled'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_member_id'), ['member_id'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('sender_email', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_format', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('in_reply_to', sa.String(length=250), nullable=True),
    sa.Column('references', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("body_format IN ('text', 'markdown')", name=op.f('ck_posts_body_format_valid')),
    sa.CheckConstraint("status IN ('draft', 'queued', 'held', 'rejected', 'discarded')", name=op.f('ck_posts_status_valid')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_posts_author_id_users')),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_lists.id'], name=op.f('fk_posts_list_id_mailing_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('message_id', name=op.f('uq_posts_message_id'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_list_created', ['list_id', 'created_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reply', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'retry', 'failed')", name=op.f('ck_deliveries_status_valid')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_deliveries_post_id_posts')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_deliveries_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['next_attempt_at', 'id'], unique=False,
                              sqlite_where=sa.text("status IN ('queued', 'retry')"),
                              postgresql_where=sa.text("status IN ('queued', 'retry')"))
        batch_op.create_index('ix_deliveries_post_status', ['post_id', 'status'], unique=False)
        batch_op.create_index('ix_deliveries_sent_at', ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('bounce_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('is_hard', sa.Boolean(), nullable=False),
    sa.Column('reply', sa.String(length=500), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_bounce_events_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_bounce_events_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bounce_events'))
    )
    with op.batch_alter_table('bounce_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bounce_events_subscription_id'), ['subscription_id'], unique=False)



def downgrade() -> None:
    # Dropping a table drops its indexes too.
    for table in ("bounce_events", "deliveries", "posts", "subscriptions", "mailing_lists"):
        op.drop_table(table)

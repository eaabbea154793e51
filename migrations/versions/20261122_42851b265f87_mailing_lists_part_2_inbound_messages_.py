"""Mailing lists, part 2: inbound messages, moderation, threads, attachments

Revision ID: 42851b265f87
Revises: 632e914d8ef5
Create Date: 2026-11-22 21:06:47.445007
"""

import sqlalchemy as sa
from alembic import op

revision = '42851b265f87'
down_revision = '632e914d8ef5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mail_from', sa.String(length=500), nullable=False),
    sa.Column('rcpt_to', sa.String(length=500), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('post', 'request', 'bounce', 'owner')", name=op.f('ck_inbound_messages_kind_valid')),
    sa.CheckConstraint("status IN ('received', 'handled', 'failed')", name=op.f('ck_inbound_messages_status_valid')),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_lists.id'], name=op.f('fk_inbound_messages_list_id_mailing_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_inbound_status', ['status', 'received_at'], unique=False)

    op.create_table('list_moderators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_lists.id'], name=op.f('fk_list_moderators_list_id_mailing_lists')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_list_moderators_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_moderators')),
    sa.UniqueConstraint('list_id', 'user_id', name=op.f('uq_list_moderators_list_id_user_id'))
    )
    with op.batch_alter_table('list_moderators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_list_moderators_user_id'), ['user_id'], unique=False)

    op.create_table('list_sender_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('accept', 'hold', 'reject', 'discard')", name=op.f('ck_list_sender_rules_action_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_list_sender_rules_created_by_id_users')),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_lists.id'], name=op.f('fk_list_sender_rules_list_id_mailing_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_sender_rules')),
    sa.UniqueConstraint('list_id', 'email', name=op.f('uq_list_sender_rules_list_id_email'))
    )
    op.create_table('post_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_attachments_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_attachments')),
    sa.UniqueConstraint('post_id', 'position', name=op.f('uq_post_attachments_post_id_position'))
    )
    with op.batch_alter_table('post_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_attachments_post_id'), ['post_id'], unique=False)

    with op.batch_alter_table('bounce_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbound_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bounce_events_inbound_id_inbound_messages'), 'inbound_messages', ['inbound_id'], ['id'])

    with op.batch_alter_table('mailing_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonmember_action', sa.String(length=16), server_default='hold', nullable=False))
        batch_op.add_column(sa.Column('max_message_kb', sa.Integer(), server_default='1024', nullable=False))
        batch_op.add_column(sa.Column('attachment_policy', sa.String(length=16), server_default='keep', nullable=False))
        batch_op.add_column(sa.Column('hold_days', sa.Integer(), server_default='14', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_mailing_lists_nonmember_action_valid'),
            "nonmember_action IN ('hold', 'reject', 'discard')")
        batch_op.create_check_constraint(
            op.f('ck_mailing_lists_attachment_policy_valid'),
            "attachment_policy IN ('keep', 'strip', 'hold')")

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('thread_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('inbound_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('moderated_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('moderation_note', sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_posts_source_valid'),
                                         "source IN ('web', 'email')")
        batch_op.create_index('ix_posts_list_status_queued', ['list_id', 'status', 'queued_at'], unique=False)
        batch_op.create_index('ix_posts_thread', ['thread_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_posts_parent_id_posts'), 'posts', ['parent_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_posts_thread_id_posts'), 'posts', ['thread_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_posts_inbound_id_inbound_messages'), 'inbound_messages', ['inbound_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_posts_moderated_by_id_users'), 'users', ['moderated_by_id'], ['id'])

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderated', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('moderated')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_moderated_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_inbound_id_inbound_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_thread_id_posts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_parent_id_posts'), type_='foreignkey')
        batch_op.drop_index('ix_posts_thread')
        batch_op.drop_index('ix_posts_list_status_queued')
        batch_op.drop_constraint(op.f('ck_posts_source_valid'), type_='check')
        batch_op.drop_column('moderation_note')
        batch_op.drop_column('moderated_at')
        batch_op.drop_column('moderated_by_id')
        batch_op.drop_column('hold_expires_at')
        batch_op.drop_column('held_at')
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('inbound_id')
        batch_op.drop_column('thread_id')
        batch_op.drop_column('parent_id')

    with op.batch_alter_table('mailing_lists', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mailing_lists_attachment_policy_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_mailing_lists_nonmember_action_valid'), type_='check')
        batch_op.drop_column('hold_days')
        batch_op.drop_column('attachment_policy')
        batch_op.drop_column('max_message_kb')
        batch_op.drop_column('nonmember_action')

    with op.batch_alter_table('bounce_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bounce_events_inbound_id_inbound_messages'), type_='foreignkey')
        batch_op.drop_column('inbound_id')

    with op.batch_alter_table('post_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_attachments_post_id'))

    op.drop_table('post_attachments')
    op.drop_table('list_sender_rules')
    with op.batch_alter_table('list_moderators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_list_moderators_user_id'))

    op.drop_table('list_moderators')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_status')
        batch_op.drop_index(batch_op.f('ix_inbound_messages_message_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_list_id'))

    op.drop_table('inbound_messages')

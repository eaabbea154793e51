"""Action plan: plans, objectives, items per fiscal year, owners, status updates, closed years, digests

Revision ID: c6e7d6669880
Revises: f7102c5a4041
Create Date: 2026-11-22 16:24:19.264335
"""

import sqlalchemy as sa
from alembic import op

revision = 'c6e7d6669880'
down_revision = 'f7102c5a4041'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('action_digest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_update_id', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_digest_runs'))
    )
    op.create_table('action_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('first_year <= last_year', name=op.f('ck_action_plans_years_in_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plans'))
    )
    op.create_table('action_objectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'], name=op.f('fk_action_objectives_plan_id_action_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_objectives'))
    )
    with op.batch_alter_table('action_objectives', schema=None) as batch_op:
        batch_op.create_index('ix_action_objectives_plan', ['plan_id', 'position'], unique=False)

    op.create_table('action_year_closures',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'], name=op.f('fk_action_year_closures_plan_id_action_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'year', name=op.f('pk_action_year_closures'))
    )
    op.create_table('action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['objective_id'], ['action_objectives.id'], name=op.f('fk_action_items_objective_id_action_objectives')),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'], name=op.f('fk_action_items_plan_id_action_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_items'))
    )
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index('ix_action_items_plan', ['plan_id', 'position'], unique=False)

    op.create_table('action_item_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress_note', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'blocked', 'dropped')", name=op.f('ck_action_item_years_status_valid')),
    sa.ForeignKeyConstraint(['carried_from_id'], ['action_item_years.id'], name=op.f('fk_action_item_years_carried_from_id_action_item_years')),
    sa.ForeignKeyConstraint(['item_id'], ['action_items.id'], name=op.f('fk_action_item_years_item_id_action_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item_years')),
    sa.UniqueConstraint('item_id', 'year', name=op.f('uq_action_item_years_item_id_year'))
    )
    with op.batch_alter_table('action_item_years', schema=None) as batch_op:
        batch_op.create_index('ix_action_item_years_year_status', ['year', 'status'], unique=False)

    op.create_table('action_item_owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_year_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(member_id IS NULL) != (organization_id IS NULL)', name=op.f('ck_action_item_owners_member_or_organization')),
    sa.ForeignKeyConstraint(['item_year_id'], ['action_item_years.id'], name=op.f('fk_action_item_owners_item_year_id_action_item_years')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_action_item_owners_member_id_members')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_action_item_owners_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item_owners')),
    sa.UniqueConstraint('item_year_id', 'member_id', name=op.f('uq_action_item_owners_item_year_id_member_id')),
    sa.UniqueConstraint('item_year_id', 'organization_id', name=op.f('uq_action_item_owners_item_year_id_organization_id'))
    )
    with op.batch_alter_table('action_item_owners', schema=None) as batch_op:
        batch_op.create_index('ix_action_item_owners_member', ['member_id'], unique=False)
        batch_op.create_index('ix_action_item_owners_organization', ['organization_id'], unique=False)

    op.create_table('action_status_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_year_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("from_status IS NULL OR from_status IN ('planned', 'in_progress', 'done', 'blocked', 'dropped')", name=op.f('ck_action_status_updates_from_status_valid')),
    sa.CheckConstraint("to_status IN ('planned', 'in_progress', 'done', 'blocked', 'dropped')", name=op.f('ck_action_status_updates_to_status_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_action_status_updates_actor_id_users')),
    sa.ForeignKeyConstraint(['item_year_id'], ['action_item_years.id'], name=op.f('fk_action_status_updates_item_year_id_action_item_years')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_status_updates'))
    )
    with op.batch_alter_table('action_status_updates', schema=None) as batch_op:
        batch_op.create_index('ix_action_status_updates_item_year', ['item_year_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('action_status_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_action_status_updates_item_year')

    op.drop_table('action_status_updates')
    with op.batch_alter_table('action_item_owners', schema=None) as batch_op:
        batch_op.drop_index('ix_action_item_owners_organization')
        batch_op.drop_index('ix_action_item_owners_member')

    op.drop_table('action_item_owners')
    with op.batch_alter_table('action_item_years', schema=None) as batch_op:
        batch_op.drop_index('ix_action_item_years_year_status')

    op.drop_table('action_item_years')
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_plan')

    op.drop_table('action_items')
    op.drop_table('action_year_closures')
    with op.batch_alter_table('action_objectives', schema=None) as batch_op:
        batch_op.drop_index('ix_action_objectives_plan')

    op.drop_table('action_objectives')
    op.drop_table('action_plans')
    op.drop_table('action_digest_runs')

"""Members, organizations and API tokens; a login may belong to a member.

Revision ID: 9e53145e9312
Revises: bb2a721c3d85
Create Date: 2026-11-22 13:37:12.853003
"""

import sqlalchemy as sa
from alembic import op

revision = '9e53145e9312'
down_revision = 'bb2a721c3d85'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('acronym', sa.String(length=50), nullable=True),
    sa.Column('stakeholder_group', sa.String(length=32), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stakeholder_group IS NULL OR stakeholder_group IN ('government', 'civil_society', 'private_sector', 'technical_community', 'academia', 'intergovernmental')", name=op.f('ck_organizations_stakeholder_group_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sort_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('organization_name', sa.String(length=300), nullable=True),
    sa.Column('stakeholder_group', sa.String(length=32), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('region_overridden', sa.Boolean(), nullable=False),
    sa.Column('gender', sa.String(length=32), nullable=True),
    sa.Column('gender_description', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('lapsed_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('listed_publicly', sa.Boolean(), nullable=False),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('show_organization', sa.Boolean(), nullable=False),
    sa.Column('show_stakeholder_group', sa.Boolean(), nullable=False),
    sa.Column('show_country', sa.Boolean(), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_message', sa.Text(), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("gender IS NULL OR gender IN ('woman', 'man', 'non_binary', 'self_described', 'undisclosed')", name=op.f('ck_members_gender_valid')),
    sa.CheckConstraint("region IN ('african', 'asia_pacific', 'eastern_european', 'latin_american_caribbean', 'western_european_others', 'unassigned')", name=op.f('ck_members_region_valid')),
    sa.CheckConstraint("stakeholder_group IN ('government', 'civil_society', 'private_sector', 'technical_community', 'academia', 'intergovernmental')", name=op.f('ck_members_stakeholder_group_valid')),
    sa.CheckConstraint("status IN ('applicant', 'active', 'lapsed', 'left')", name=op.f('ck_members_status_valid')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_members_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('email', name=op.f('uq_members_email'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_country'), ['country'], unique=False)
        batch_op.create_index('ix_members_organization_status', ['organization_id', 'status'], unique=False)
        batch_op.create_index('ix_members_sort_name', ['sort_name', 'id'], unique=False)
        batch_op.create_index('ix_members_status_sort_name', ['status', 'sort_name', 'id'], unique=False)
        batch_op.create_index('ix_members_public_sort_name', ['listed_publicly', 'status', 'sort_name', 'id'], unique=False)
        batch_op.create_index('ix_members_status_group_region', ['status', 'stakeholder_group', 'region', 'country', 'gender'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invitations_member_id_members'), 'members', ['member_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_member_id'), ['member_id'])
        batch_op.create_foreign_key(batch_op.f('fk_users_member_id_members'), 'members', ['member_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_member_id_members'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_users_member_id'), type_='unique')
        batch_op.drop_column('member_id')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_member_id_members'), type_='foreignkey')
        batch_op.drop_column('member_id')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_status_group_region')
        batch_op.drop_index('ix_members_public_sort_name')
        batch_op.drop_index('ix_members_status_sort_name')
        batch_op.drop_index('ix_members_sort_name')
        batch_op.drop_index('ix_members_organization_status')
        batch_op.drop_index(batch_op.f('ix_members_country'))

    op.drop_table('members')
    op.drop_table('organizations')

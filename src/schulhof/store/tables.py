"""The relational schema. Alembic migrations in `store/migrations` create exactly this.

The link tables (sources, contexts, memberships, guardian links) carry no foreign-key
constraints: checking them row by row was a fifth of a city import on both backends. The
store is the only writer and removes children before parents; `store/integrity.py`
(`schulhof db check`) finds orphans, and the test suite runs it after every import test.

Indexes follow the queries a city (52k people) and a state (1M) run: username, source link,
school + role, group membership, name + birth date (import matching), change log by school.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

TS = sa.DateTime(timezone=True)
# Ids are UUIDs kept as their 36-character text: the same on both backends, and plain
# strings in Python (hashing uuid.UUID objects was a tenth of a city import).
ID = sa.String(36)
# On SQLite an INTEGER primary key is the row id itself: one B-tree instead of two.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Small link tables are stored by their primary key on SQLite (WITHOUT ROWID): one B-tree.

schools = sa.Table(
    "schools",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("number", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

school_sources = sa.Table(
    "school_sources",
    metadata,
    sa.Column("system", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(255), primary_key=True),
    sa.Column("school_id", ID, sa.ForeignKey("schools.id"), nullable=False, index=True),
    sqlite_with_rowid=False,
)

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("given_name", sa.String(200), nullable=False),
    sa.Column("family_name", sa.String(200), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("disabled_at", TS, nullable=True),
    sa.Column("delete_after", sa.Date, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_persons_match", "family_name", "given_name", "birth_date"),
    sa.Index("ix_persons_state_delete_after", "state", "delete_after"),
    sa.Index("ix_persons_updated_at", "updated_at"),
)

person_sources = sa.Table(
    "person_sources",
    metadata,
    sa.Column("system", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(255), primary_key=True),
    sa.Column("person_id", ID, nullable=False, index=True),
    sqlite_with_rowid=False,
)

contexts = sa.Table(
    "contexts",
    metadata,
    sa.Column("person_id", ID, primary_key=True),
    sa.Column("school_id", ID, primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    sa.Index("ix_contexts_school_role", "school_id", "role"),
    sqlite_with_rowid=False,
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("school_id", ID, sa.ForeignKey("schools.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("school_id", "kind", "name"),
)

group_sources = sa.Table(
    "group_sources",
    metadata,
    sa.Column("system", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(255), primary_key=True),
    sa.Column("group_id", ID, nullable=False, index=True),
    sqlite_with_rowid=False,
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("group_id", ID, primary_key=True),
    sa.Column("person_id", ID, primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("homeroom_teacher", sa.Boolean, nullable=False),
    sa.Index("ix_memberships_person", "person_id"),
    sqlite_with_rowid=False,
)

guardian_links = sa.Table(
    "guardian_links",
    metadata,
    sa.Column("guardian_id", ID, primary_key=True),
    sa.Column("student_id", ID, primary_key=True),
    sa.Index("ix_guardian_links_student", "student_id"),
    sqlite_with_rowid=False,
)

# A deleted person's username is not given out again before `free_after` (365 days).
retired_usernames = sa.Table(
    "retired_usernames",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("free_after", TS, nullable=False),
    sqlite_with_rowid=False,
)

# Named counters. The row 'change_log' is the change log's sequence: taking numbers from it
# locks the row until commit, which makes seq order equal commit order (see changelog.py).
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

change_log = sa.Table(
    "change_log",
    metadata,
    sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("op", sa.String(16), nullable=False),
    # A UUID for schools, persons and groups; "<person>:<school>:<role>" for contexts and
    # "<group>:<person>" for memberships, which have no id of their own.
    sa.Column("entity_id", sa.String(120), nullable=False),
    sa.Column("schools", sa.Text, nullable=False),  # JSON array of school numbers
    sa.Column("state", sa.Text, nullable=False),  # JSON object: the entity's new state
    sa.Index("ix_change_log_entity_id", "entity_id"),
    sa.Index("ix_change_log_at", "at"),
)

# One row per (school, record): "all records after N for school X" is an index range scan.
change_log_scope = sa.Table(
    "change_log_scope",
    metadata,
    sa.Column("school_number", sa.String(16), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

# Near matches on import wait here for a person to decide (never merged silently).
review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("record_key", sa.String(300), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # JSON: the source record and its origin
    sa.Column("candidates", sa.Text, nullable=False),  # JSON: person ids
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_at", TS, nullable=True),
    sa.Column("person_id", ID, nullable=True),
    sa.Index("ix_review_items_status_key", "status", "record_key"),
)

# "This record is not that person": remembered so the next import does not ask again.
review_rejections = sa.Table(
    "review_rejections",
    metadata,
    sa.Column("record_key", sa.String(300), primary_key=True),
    sa.Column("person_id", ID, primary_key=True),
    sqlite_with_rowid=False,
)

# API tokens: only a hash of the secret is kept. A token reads `shf_<id>_<secret>`; the id
# finds the row, the secret's SHA-256 is compared in constant time.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("schools", sa.Text, nullable=False),  # JSON list of school numbers
    sa.Column("person_id", ID, nullable=True),
    sa.Column("attributes", sa.Text, nullable=True),  # JSON list; NULL: the role's default
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("expires_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("last_used_at", TS, nullable=True),
)

# Password hashes live apart from the person row: never in views, never in the log.
credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("person_id", ID, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("must_change", sa.Boolean, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    # NT hash (MD4 of UTF-16LE, 32 hex digits, upper case) for FreeRADIUS MSCHAPv2; only
    # while `[ldap] nt_hash` is on (migration 0005).
    sa.Column("nt_hash", sa.String(32), nullable=True),
)

# What the change log does not hold: reads of personal data, password resets, sign-ins.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.String(120), nullable=True),
    sa.Column("school", sa.String(16), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),  # JSON
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_target", "target_id"),
    sa.Index("ix_audit_log_school_at", "school", "at"),
)

# Background jobs (imports over HTTP, later: back-channel logout, provisioning). Claimed
# with FOR UPDATE SKIP LOCKED on PostgreSQL, so any number of workers can share them.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("schools", sa.Text, nullable=False),  # JSON: who may see the job
    sa.Column("params", sa.Text, nullable=False),  # JSON
    sa.Column("result", sa.Text, nullable=True),  # JSON
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("started_at", TS, nullable=True),
    sa.Column("finished_at", TS, nullable=True),
    sa.Index("ix_jobs_status_created", "status", "created_at"),
)

# LDAP's uidNumber/gidNumber: given once per person or group key, never reused (the
# counters 'ldap_uid' and 'ldap_gid' only grow; rows of deleted people stay).
ldap_numbers = sa.Table(
    "ldap_numbers",
    metadata,
    sa.Column("entity_id", sa.String(80), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),  # 'uid' or 'gid'
    sa.Column("number", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("kind", "number"),
    sqlite_with_rowid=False,
)

# ---- sign-in (issue 5; docs/design/signin.md) ---------------------------------------------

# Random secrets made on first use (pairwise subjects, CSRF): the same on every worker.
server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

# Failed sign-ins per key (`account:<id>`, `address:<ip>`), shared by all workers.
signin_failures = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_at", TS, nullable=False),
    sa.Column("last_at", TS, nullable=False),
    sqlite_with_rowid=False,
)

# SSO sessions: `id` is the SHA-256 of the cookie; `sid` is the public session id.
sso_sessions = sa.Table(
    "sso_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("sid", sa.String(32), nullable=False, unique=True),
    sa.Column("person_id", ID, nullable=False, index=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("auth_time", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("address", sa.String(64), nullable=True),
    sa.Column("must_change", sa.Boolean, nullable=False),
)

# Which services a session signed in to (back-channel logout, SAML single logout).
session_clients = sa.Table(
    "session_clients",
    metadata,
    sa.Column("sid", sa.String(32), primary_key=True),
    sa.Column("client_id", sa.String(200), primary_key=True),
    sa.Column("protocol", sa.String(8), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # JSON: e.g. SAML NameID, SessionIndex
    sa.Column("at", TS, nullable=False),
    sqlite_with_rowid=False,
)

# OIDC clients and SAML service providers. `secret_hash`: SHA-256 of a confidential
# client's 256-bit secret. `config`: protocol-specific JSON (redirect URIs, SP metadata).
service_clients = sa.Table(
    "service_clients",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),  # client_id / SP entityID
    sa.Column("protocol", sa.String(8), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("schools", sa.Text, nullable=False),  # JSON list; [] = every school
    sa.Column("release", sa.Text, nullable=False),  # JSON list of released fields
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("removed_at", TS, nullable=True),
)

# Signing keys (OIDC JWKS, SAML). One active key per use; old ones stay published until
# `retire_at` so tokens signed with them still verify.
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("use", sa.String(8), nullable=False),
    sa.Column("alg", sa.String(16), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("certificate_pem", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("retire_at", TS, nullable=True),
)

# Authorization codes: single use, short-lived, kept as hashes.
oidc_codes = sa.Table(
    "oidc_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(200), nullable=False),
    sa.Column("person_id", ID, nullable=False),
    sa.Column("sid", sa.String(32), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("nonce", sa.Text, nullable=True),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("code_challenge_method", sa.String(8), nullable=True),
    sa.Column("auth_time", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
)

# Refresh tokens, rotated on use. Presenting a used one revokes its whole family.
oidc_refresh_tokens = sa.Table(
    "oidc_refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("family_id", sa.String(32), nullable=False, index=True),
    sa.Column("client_id", sa.String(200), nullable=False),
    sa.Column("person_id", ID, nullable=False),
    sa.Column("sid", sa.String(32), nullable=False, index=True),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("auth_time", TS, nullable=False),
    sa.Column("issued_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
)

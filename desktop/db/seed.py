"""Plausible demo data generated inside PostgreSQL (a million users in seconds)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

ADJECTIVES = [
    "Northwind",
    "Blue Harbor",
    "Redwood",
    "Silver Lake",
    "Granite",
    "Bright Path",
    "Evergreen",
    "Summit",
    "Copper Hill",
    "Atlas",
    "Lighthouse",
    "Meadow",
    "Ironbridge",
    "Sunrise",
    "Cobalt",
    "Harvest",
    "Orchid",
    "Pioneer",
    "Riverbend",
    "Stonegate",
]
NOUNS = [
    "Analytics",
    "Logistics",
    "Health",
    "Labs",
    "Retail",
    "Capital",
    "Energy",
    "Foods",
    "Media",
    "Robotics",
    "Insurance",
    "Travel",
    "Studios",
    "Partners",
    "Systems",
]
FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Chen",
    "Lucas",
    "Sofia",
    "Noah",
    "Emma",
    "Mateo",
    "Olivia",
    "Yuki",
    "Liam",
    "Fatima",
    "Ethan",
    "Ingrid",
    "Omar",
    "Priya",
    "Jonas",
    "Amara",
    "Diego",
    "Hannah",
    "Kofi",
    "Elena",
    "Ravi",
    "Zoe",
    "Mikhail",
    "Leila",
    "Tomás",
    "Grace",
    "Arjun",
]
LAST_NAMES = [
    "Garcia",
    "Smith",
    "Okafor",
    "Wang",
    "Müller",
    "Rossi",
    "Johnson",
    "Nguyen",
    "Silva",
    "Kowalski",
    "Tanaka",
    "Brown",
    "Haddad",
    "Andersen",
    "Patel",
    "Dubois",
    "Kim",
    "Novak",
    "Mensah",
    "Fernández",
    "Larsen",
    "Ivanova",
    "Cohen",
    "Reyes",
    "O'Brien",
    "Schmidt",
]
DATA_SOURCES = [
    "postgres",
    "mysql",
    "bigquery",
    "snowflake",
    "salesforce",
    "hubspot",
    "stripe",
    "google_sheets",
    "s3",
    "rest_api",
]


@dataclass(frozen=True)
class SeedSize:
    users: int
    organizations: int
    plugins: int

    @classmethod
    def for_users(cls, users: int) -> SeedSize:
        """The demo's proportions: 100 users per organization, 3 plugins per 100 users."""
        users = max(users, 1)
        return cls(users, max(users // 100, 1), max(users * 3 // 100, 1))


def _array(values: list[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]"


#: Memory for building the indexes after the load (this transaction only): a GIN index
#: built in one pass rather than many is several times faster.
BUILD_MEMORY = "512MB"


def seed(connection: Connection, size: SeedSize) -> None:
    """Fill empty tables with `size` rows; deterministic for a given size.

    Secondary indexes (trigram, sort), unique constraints and foreign keys are dropped for
    the load and made again from their own definitions afterwards, in the same transaction:
    building an index once is many times faster than maintaining it row by row, checking a
    foreign key once is one join instead of a look-up per row, and the schema ends up
    exactly as it was (names included).
    """
    connection.execute(text(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
    rebuild = _drop_secondary_indexes(connection)
    constraints = _drop_constraints(connection)
    _load(connection, size)
    for definition in rebuild:
        connection.execute(text(definition))
    for definition in constraints:  # unique ones first: a foreign key may need one
        connection.execute(text(definition))
    connection.execute(text('ANALYZE organization; ANALYZE "user"; ANALYZE plugin'))


def _drop_constraints(connection: Connection) -> list[str]:
    """Drop the unique constraints and foreign keys of the three tables; return the DDL
    that adds each again (unique constraints first)."""
    rows = connection.execute(
        text(
            """
            SELECT c.conrelid::regclass::text AS tab, quote_ident(c.conname) AS name,
                   pg_get_constraintdef(c.oid) AS definition, c.contype
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema()
              AND t.relname IN ('organization', 'user', 'plugin')
              AND c.contype IN ('u', 'f')
            ORDER BY c.contype DESC, c.conname
            """
        )
    ).all()
    for row in reversed(rows):  # foreign keys before the unique constraints they may use
        connection.execute(text(f"ALTER TABLE {row.tab} DROP CONSTRAINT {row.name}"))
    return [f"ALTER TABLE {row.tab} ADD CONSTRAINT {row.name} {row.definition}" for row in rows]


def _drop_secondary_indexes(connection: Connection) -> list[str]:
    """Drop the indexes that back no constraint on the three tables; return their DDL."""
    rows = connection.execute(
        text(
            """
            SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema()
              AND t.relname IN ('organization', 'user', 'plugin')
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """
        )
    ).all()
    for row in rows:
        connection.execute(text(f"DROP INDEX {row.name}"))
    return [row.ddl for row in rows]


def _load(connection: Connection, size: SeedSize) -> None:
    connection.execute(text("SELECT setseed(0.42)"))
    adjectives, nouns = _array(ADJECTIVES), _array(NOUNS)
    connection.execute(
        text(
            f"""
            INSERT INTO organization (name)
            SELECT a[1 + (i % array_length(a, 1))] || ' ' || n[1 + (i / array_length(a, 1))
                     % array_length(n, 1)]
                   || CASE WHEN i >= array_length(a, 1) * array_length(n, 1)
                           THEN ' ' || (i / (array_length(a, 1) * array_length(n, 1)) + 1)
                           ELSE '' END
            FROM generate_series(0, :orgs - 1) AS i,
                 (SELECT {adjectives} AS a, {nouns} AS n) AS words
            ORDER BY i
            """
        ),
        {"orgs": size.organizations},
    )
    # Organization sizes are skewed: a few large tenants, many small ones.
    fn, ln = _array(FIRST_NAMES), _array(LAST_NAMES)
    first = f"({fn})[1 + i % {len(FIRST_NAMES)}]"
    last = f"({ln})[1 + (i / {len(FIRST_NAMES)} * 7 + i) % {len(LAST_NAMES)}]"
    connection.execute(
        text(
            f"""
            WITH orgs AS (
                SELECT row_number() OVER (ORDER BY id) AS slot, id,
                       lower(regexp_replace(name, '[^A-Za-z0-9]+', '-', 'g')) AS domain
                FROM organization
            ),
            base AS (
                SELECT i,
                       1 + floor(power(random(), 2.2) * :orgs)::int AS slot,
                       random() AS r_status, random() AS r_login, random() AS r_joined
                FROM generate_series(1, :users) AS i
            )
            INSERT INTO "user" (firebase_id, name, email, organization_id, status, is_system,
                                active_token_id, date_joined, last_login)
            SELECT
                CASE WHEN i % 50 = 7 THEN NULL ELSE substr(md5('fb' || i), 1, 28) END,
                CASE WHEN i % 997 = 0 THEN 'Sync Service ' || i
                     ELSE {first} || ' ' || {last} END,
                CASE WHEN i % 997 = 0 THEN 'svc-sync-' || i
                     ELSE lower(translate({first} || '.' || {last},
                                          'üáéíóúñ'' ', 'uaeiounn')) || i END
                    || '@' || orgs.domain || '.example',
                orgs.id,
                CASE WHEN r_status < 0.85 THEN 1 WHEN r_status < 0.95 THEN 2 ELSE 3 END,
                i % 997 = 0,
                CASE WHEN r_status < 0.85 AND r_login < 0.3 THEN md5('tok' || i) END,
                now() - make_interval(secs => r_joined * 3 * 365 * 86400),
                CASE WHEN r_login < 0.85
                     THEN now() - make_interval(secs => r_login * r_joined * 3 * 365 * 86400
                                                        / 0.85) END
            FROM base JOIN orgs USING (slot)
            """
        ),
        {"users": size.users, "orgs": size.organizations},
    )
    connection.execute(
        text(
            f"""
            WITH orgs AS (SELECT row_number() OVER (ORDER BY id) AS slot, id FROM organization),
            base AS (
                SELECT i, 1 + floor(power(random(), 1.5) * :orgs)::int AS slot,
                       ({_array(DATA_SOURCES)})[1 + (i * 3) % {len(DATA_SOURCES)}] AS source,
                       md5('secret' || i) AS secret, random() AS r
                FROM generate_series(1, :plugins) AS i
            )
            INSERT INTO plugin (organization_id, data_source, title, credentials, properties,
                                created_at)
            SELECT orgs.id, source,
                   initcap(replace(source, '_', ' '))
                     || CASE WHEN r < 0.3 THEN ' (EU)' WHEN r < 0.5 THEN ' (US)'
                             WHEN r < 0.6 THEN ' staging' ELSE '' END,
                   CASE
                     WHEN source IN ('postgres', 'mysql', 'snowflake') THEN json_build_object(
                       'username', 'svc_reader', 'password', 'pw-' || left(secret, 20))
                     WHEN source = 'bigquery' THEN json_build_object(
                       'type', 'service_account', 'client_email',
                       'reader@tenant-' || i || '.iam.gserviceaccount.com',
                       'private_key_id', left(secret, 16))
                     WHEN source = 's3' THEN json_build_object(
                       'access_key_id', 'AKIA' || upper(left(secret, 16)),
                       'secret_access_key', secret)
                     ELSE json_build_object('api_key', 'sk_live_' || secret)
                   END,
                   CASE
                     WHEN source IN ('postgres', 'mysql') THEN json_build_object(
                       'host', 'db-' || i || '.internal', 'port',
                       CASE source WHEN 'postgres' THEN 5432 ELSE 3306 END,
                       'database', 'warehouse', 'sync_interval_minutes', 15 + (i % 4) * 15)
                     WHEN source = 's3' THEN json_build_object(
                       'bucket', 'tenant-exports-' || i, 'region',
                       CASE WHEN r < 0.5 THEN 'eu-west-1' ELSE 'us-east-1' END)
                     ELSE json_build_object(
                       'region', CASE WHEN r < 0.5 THEN 'eu' ELSE 'us' END,
                       'sync_interval_minutes', 60, 'enabled', r < 0.9)
                   END,
                   timezone('utc', now()) - make_interval(secs => r * 2 * 365 * 86400)
            FROM base JOIN orgs USING (slot)
            """
        ),
        {"plugins": size.plugins, "orgs": size.organizations},
    )


def is_empty(connection: Connection) -> bool:
    return bool(
        connection.execute(text("SELECT NOT EXISTS (SELECT 1 FROM organization)")).scalar_one()
    )

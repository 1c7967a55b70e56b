"""The schema as an ordered list of migrations; the database records how many it has applied.

MIGRATIONS holds each migration's text as SQLite runs it; POSTGRES_TEXT replaces the text of the few that
PostgreSQL would read differently (one list, one numbering: a database of either kind at version N has the
same tables). Append new migrations, in SQL both accept where possible; never edit one that has shipped.
Each runs in its own transaction together with the version bump, so a crash leaves the database at one
version or the next, never between.
"""

from __future__ import annotations

# Not SQL: the store rewrites 'w<N>' votes as 'w:<id>' and shown positions as ids, reading each entry's
# workaround ids from the knowledge files at migration time (Store.migrate). A vote whose position no
# longer exists in its entry is kept as it was, unattached: counted nowhere, reported by `knownfix stats`.
WORKAROUND_IDS_MIGRATION = "-- data migration: votes keyed by workaround id"

MIGRATIONS: tuple[str, ...] = (
    # 1: replies the bot made, votes on them, watched channels.
    """
    CREATE TABLE replies (
        message_id        INTEGER PRIMARY KEY,   -- the bot's reply message
        channel_id        INTEGER NOT NULL,
        guild_id          INTEGER,
        source_message_id INTEGER,               -- the message it answered (NULL for slash commands)
        asker_id          INTEGER,               -- who asked: may delete the reply with a reaction
        entry_id          TEXT    NOT NULL,
        shown_workarounds TEXT    NOT NULL,      -- JSON list of workaround numbers, in the order shown
        score             REAL    NOT NULL,
        confidence        TEXT    NOT NULL,
        matched_at        TEXT    NOT NULL,
        deleted           INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX replies_by_entry ON replies (entry_id);
    CREATE UNIQUE INDEX replies_by_source ON replies (source_message_id) WHERE source_message_id IS NOT NULL;

    CREATE TABLE votes (
        reply_message_id INTEGER NOT NULL REFERENCES replies (message_id) ON DELETE CASCADE,
        user_id          INTEGER NOT NULL,
        option           TEXT    NOT NULL,       -- 'w<N>' (workaround number N fixed it), 'none', 'wrong'
        voted_at         TEXT    NOT NULL,
        PRIMARY KEY (reply_message_id, user_id, option)
    );

    CREATE TABLE watched_channels (
        channel_id INTEGER PRIMARY KEY,
        guild_id   INTEGER NOT NULL,
        added_by   INTEGER,
        added_at   TEXT    NOT NULL
    );
    """,
    # 2: why a reply went away (people removed it, or an edit made it moot), and one live reply per source
    # message rather than one ever: an edit may answer again a message whose old reply an edit removed.
    """
    ALTER TABLE replies ADD COLUMN removed_by TEXT;
    DROP INDEX replies_by_source;
    CREATE UNIQUE INDEX replies_by_source ON replies (source_message_id)
        WHERE source_message_id IS NOT NULL AND deleted = 0;
    """,
    # 3: the gaps loop (bot.gaps): error reports the bot could not answer, one row per fingerprint. Only the
    # masked error line and counts: no message text, no user or channel ids.
    """
    CREATE TABLE gaps (
        scheme      INTEGER NOT NULL,            -- bot.gaps.FINGERPRINT_SCHEME that computed it
        fingerprint TEXT    NOT NULL,            -- sha256 prefix of the masked line
        error_line  TEXT    NOT NULL,            -- the normalised, masked error line
        exception   TEXT,
        count       INTEGER NOT NULL,
        first_seen  TEXT    NOT NULL,
        last_seen   TEXT    NOT NULL,
        candidate   TEXT,                        -- the closest entry id at the last sighting
        PRIMARY KEY (scheme, fingerprint)
    );
    CREATE INDEX gaps_by_count ON gaps (scheme, count DESC, last_seen DESC);
    """,
    # 4: votes and shown workarounds keyed by the workaround's id, not its position (see above).
    WORKAROUND_IDS_MIGRATION,
    # 5: how the bot behaves in each watched channel (bot.settings.WATCH_MODES): answer, suggest or off.
    """
    ALTER TABLE watched_channels ADD COLUMN mode TEXT NOT NULL DEFAULT 'answer';
    """,
    # 6: per-server settings set with /config (bot.server_settings); a server without a row for a setting uses
    # the deployment's default (environment or TOML file). The value is its canonical text, checked again
    # when read, so a row this version no longer accepts falls back to the default instead of failing.
    """
    CREATE TABLE server_settings (
        guild_id INTEGER NOT NULL,
        name     TEXT    NOT NULL,
        value    TEXT    NOT NULL,
        set_by   INTEGER,
        set_at   TEXT    NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    """,
    # 7: what several bot processes on one database agree through it (bot.store.claims): the claim a process
    # takes before it replies to a message (one reply per message and revision across processes), the
    # passive cooldowns per (server, channel) and (server, person), and per-message leases that order the
    # handling of a message's create and edit events. Unix times; rows expire (see bot.store.claims).
    """
    CREATE TABLE claims (
        message_id INTEGER NOT NULL,             -- the message answered
        revision   TEXT    NOT NULL,             -- '' for the message as posted, its edit time for an edit
        process    TEXT    NOT NULL,             -- the process that replied (host:pid:random)
        claimed_at REAL    NOT NULL,
        PRIMARY KEY (message_id, revision)
    );
    CREATE INDEX claims_by_time ON claims (claimed_at);

    CREATE TABLE cooldowns (
        guild_id INTEGER NOT NULL,
        kind     TEXT    NOT NULL,               -- 'channel' or 'user'
        key_id   INTEGER NOT NULL,               -- the channel's or the person's id
        used_at  REAL    NOT NULL,               -- when a passive reply last took this slot
        PRIMARY KEY (guild_id, kind, key_id)
    );

    CREATE TABLE message_locks (
        message_id INTEGER PRIMARY KEY,
        holder     TEXT    NOT NULL,
        expires_at REAL    NOT NULL              -- a crashed holder's lease runs out, then another takes it
    );
    """,
)

# PostgreSQL's INTEGER is 32 bits, too small for Discord ids (snowflakes need 64), and its REAL is single
# precision: these migrations say BIGINT and DOUBLE PRECISION there. The others run as written.
POSTGRES_TEXT: dict[int, str] = {
    1: """
    CREATE TABLE replies (
        message_id        BIGINT PRIMARY KEY,
        channel_id        BIGINT NOT NULL,
        guild_id          BIGINT,
        source_message_id BIGINT,
        asker_id          BIGINT,
        entry_id          TEXT    NOT NULL,
        shown_workarounds TEXT    NOT NULL,
        score             DOUBLE PRECISION NOT NULL,
        confidence        TEXT    NOT NULL,
        matched_at        TEXT    NOT NULL,
        deleted           INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX replies_by_entry ON replies (entry_id);
    CREATE UNIQUE INDEX replies_by_source ON replies (source_message_id) WHERE source_message_id IS NOT NULL;

    CREATE TABLE votes (
        reply_message_id BIGINT  NOT NULL REFERENCES replies (message_id) ON DELETE CASCADE,
        user_id          BIGINT  NOT NULL,
        option           TEXT    NOT NULL,
        voted_at         TEXT    NOT NULL,
        PRIMARY KEY (reply_message_id, user_id, option)
    );

    CREATE TABLE watched_channels (
        channel_id BIGINT PRIMARY KEY,
        guild_id   BIGINT NOT NULL,
        added_by   BIGINT,
        added_at   TEXT   NOT NULL
    );
    """,
    6: """
    CREATE TABLE server_settings (
        guild_id BIGINT NOT NULL,
        name     TEXT   NOT NULL,
        value    TEXT   NOT NULL,
        set_by   BIGINT,
        set_at   TEXT   NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    """,
    7: """
    CREATE TABLE claims (
        message_id BIGINT NOT NULL,
        revision   TEXT   NOT NULL,
        process    TEXT   NOT NULL,
        claimed_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (message_id, revision)
    );
    CREATE INDEX claims_by_time ON claims (claimed_at);

    CREATE TABLE cooldowns (
        guild_id BIGINT NOT NULL,
        kind     TEXT   NOT NULL,
        key_id   BIGINT NOT NULL,
        used_at  DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (guild_id, kind, key_id)
    );

    CREATE TABLE message_locks (
        message_id BIGINT PRIMARY KEY,
        holder     TEXT   NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    );
    """,
}

SCHEMA_VERSION = len(MIGRATIONS)

# Every table the store keeps, parents before children (votes reference replies): `knownfix db copy` copies
# them in this order, and a test checks that the list names every table the migrations create.
TABLES: tuple[str, ...] = (
    "replies",
    "votes",
    "watched_channels",
    "gaps",
    "server_settings",
    "claims",
    "cooldowns",
    "message_locks",
)


def migration_text(version: int, dialect: str) -> str:
    """Migration number `version` (1-based) as the given backend ("sqlite" or "postgresql") runs it."""
    if dialect == "postgresql":
        return POSTGRES_TEXT.get(version, MIGRATIONS[version - 1])
    return MIGRATIONS[version - 1]

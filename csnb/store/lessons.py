"""The lessons knowledge base: lesson rows in the store, upserted idempotently, searched full-text.

On SQLite an FTS5 external-content table, kept in sync by triggers, ranks matches with bm25; on
PostgreSQL a generated ``tsvector`` column with a GIN index ranks them with ``ts_rank_cd``. Schema
changes are the ``lessons`` family of migrations (``csnb.store.db``). Every write is one short
transaction keyed on (client, milestone, number), so concurrent retros from many processes never lose
or duplicate a lesson.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url

from csnb.errors import CsnbError
from csnb.store import db

metadata = MetaData()
lessons = Table(
    "lessons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("milestone", String(64), nullable=False),
    Column("number", Integer, nullable=False),  # the lesson's position in its retro file, from 1
    Column("client_name", String(200), nullable=False, default=""),
    Column("title", String(500), nullable=False, default=""),  # the milestone's title
    Column("stage", String(16), nullable=False, index=True),
    Column("category", String(16), nullable=False),
    Column("impact", String(8), nullable=False, default="medium"),
    Column("statement", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("tags", Text, nullable=False, default=""),  # space-separated, for search and the tag filter
    Column("owner", String(64)),
    Column("follow_up", JSON),
    Column("retro_date", String(10), nullable=False),
    Column("facts", JSON),
    Column("private", JSON),  # words that identify the client; never shown to others
    Column("content_hash", String(64), nullable=False),
    Column("created", DateTime(timezone=True)),
    Column("updated", DateTime(timezone=True)),
    UniqueConstraint("client", "milestone", "number", name="uq_lesson"),
)
KEY = ("client", "milestone", "number")
FIELDS = [c.name for c in lessons.columns if c.name not in ("id", "created", "updated", "content_hash")]
FTS_COLUMNS = ("statement", "recommendation", "tags", "title")
FTS_WEIGHTS = (4.0, 2.0, 3.0, 1.0)  # the statement says what was learned; tags are deliberate
MAX_WORDS = 12
RANK_WINDOW = (
    4000  # SQLite: matches ranked per search, newest first (keeps p95 under 50 ms at 100,000 lessons)
)
# words that match nearly every lesson: they slow a search down and rank nothing
STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its of on or our so that the their "
    "then this to was we were will with".split()
)


class KnowledgeBaseError(CsnbError):
    """The knowledge base could not be read or written."""


class QueryError(CsnbError):
    """A search the knowledge base cannot run (no words to look for): exit status 2."""

    exit_code = 2


SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS lessons_fts USING fts5(statement, recommendation, tags, title, "
    "content='lessons', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS lessons_ai AFTER INSERT ON lessons BEGIN "
    "INSERT INTO lessons_fts(rowid, statement, recommendation, tags, title) "
    "VALUES (new.id, new.statement, new.recommendation, new.tags, new.title); END",
    "CREATE TRIGGER IF NOT EXISTS lessons_ad AFTER DELETE ON lessons BEGIN "
    "INSERT INTO lessons_fts(lessons_fts, rowid, statement, recommendation, tags, title) "
    "VALUES ('delete', old.id, old.statement, old.recommendation, old.tags, old.title); END",
    "CREATE TRIGGER IF NOT EXISTS lessons_au AFTER UPDATE ON lessons BEGIN "
    "INSERT INTO lessons_fts(lessons_fts, rowid, statement, recommendation, tags, title) "
    "VALUES ('delete', old.id, old.statement, old.recommendation, old.tags, old.title); "
    "INSERT INTO lessons_fts(rowid, statement, recommendation, tags, title) "
    "VALUES (new.id, new.statement, new.recommendation, new.tags, new.title); END",
]
POSTGRES_FTS = [
    "ALTER TABLE lessons ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(statement, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(tags, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(recommendation, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(title, '')), 'C')) STORED",
    "CREATE INDEX IF NOT EXISTS lessons_search ON lessons USING GIN (search)",
]


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[lessons])
    for sql in {"sqlite": SQLITE_FTS, "postgresql": POSTGRES_FTS}.get(conn.dialect.name, []):
        conn.exec_driver_sql(sql)


MIGRATIONS: list[db.Step] = [_v1]  # append new steps; never edit a released one
FAMILY = db.Family("lessons", MIGRATIONS, legacy="lessons_meta")
UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}  # INSERT ... ON CONFLICT


@dataclass(frozen=True)
class Filters:
    """What ``search`` and ``list`` narrow the knowledge base to (None: no filter)."""

    stage: str | None = None
    category: str | None = None
    tag: str | None = None
    client: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def content_hash(record: dict[str, Any]) -> str:
    """A hash of everything stored about a lesson: an unchanged lesson is never rewritten."""
    payload = json.dumps({k: record.get(k) for k in FIELDS}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def query_terms(query: str) -> list[list[str]]:
    """The terms of a search, each a list of lower-case words: ``go-live`` is one term, the phrase "go live".

    A term is what the user typed between spaces; its word parts must match together, so "go-live" never
    matches a lesson that only says "live". Stop words are dropped unless nothing else is left.
    """
    terms = [re.findall(r"\w+", chunk) for chunk in query.lower().split()]
    terms = [t for t in terms if t]
    kept = [t for t in terms if len(t) > 1 or t[0] not in STOPWORDS] or terms
    out, count = [], 0
    for term in kept:
        if count + len(term) > MAX_WORDS:
            break
        out.append(term)
        count += len(term)
    return out


def query_words(query: str) -> list[str]:
    """The words of a search, lower-case, without stop words (unless nothing else is left)."""
    return [w for term in query_terms(query) for w in term]


def fts_query(query: str, dialect: str = "sqlite") -> str:
    """``query`` as an OR of its terms (each a word or a phrase) that ranks the exact phrase first.

    Every term is quoted, so no user syntax passes; a lesson matches only when it holds a whole term.
    """
    terms = query_terms(query)
    if not terms:
        raise QueryError('the search needs at least one word, e.g. csnb lessons search "onboarding training"')
    phrases = [" ".join(t) for t in terms]
    everything = [" ".join(query_words(query))] if len(terms) > 1 else []
    parts = [f'"{p}"' for p in everything + phrases]
    return (" or " if dialect == "postgresql" else " OR ").join(parts)


class KnowledgeBase:
    """Lessons behind one SQLAlchemy URL (the store's URL: SQLite file by default, or PostgreSQL)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = db.open_engine(url)  # first: a bad URL is a StoreError here
        self.dialect = make_url(url).get_backend_name()
        self.writer = db.writer(self.engine)
        self.migrate()

    def migrate(self) -> int:
        """Apply pending migrations under a lock; return the schema version."""
        return db.migrate(self.engine, FAMILY)

    def _upsert(self, conn: Connection, records: Sequence[dict[str, Any]]) -> None:
        now = dt.datetime.now(dt.UTC)
        rows = [
            {**{k: r.get(k) for k in FIELDS}, "content_hash": content_hash(r), "created": now, "updated": now}
            for r in records
        ]
        if self.dialect in UPSERTS:
            stmt = UPSERTS[self.dialect](lessons)
            changed = {k: stmt.excluded[k] for k in FIELDS + ["content_hash", "updated"] if k not in KEY}
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=list(KEY),
                    set_=changed,
                    where=lessons.c.content_hash != stmt.excluded.content_hash,
                ),
                rows,
            )
            return
        for row in rows:  # other databases: update, then insert what was not there
            key = and_(*(lessons.c[k] == row[k] for k in KEY))
            found = conn.execute(select(lessons.c.content_hash).where(key)).first()
            if found is None:
                conn.execute(lessons.insert().values(**row))
            elif found[0] != row["content_hash"]:
                conn.execute(
                    lessons.update().where(key).values(**{k: v for k, v in row.items() if k != "created"})
                )

    def upsert(self, records: Sequence[dict[str, Any]]) -> None:
        """Insert or update lessons by (client, milestone, number); unchanged lessons are left alone."""
        if records:
            with self.writer.begin() as conn:
                self._upsert(conn, records)

    def replace_retro(self, client: str, milestone: str, records: Sequence[dict[str, Any]]) -> int:
        """Make the KB hold exactly ``records`` for one retro; return how many stale lessons were removed."""
        with self.writer.begin() as conn:
            if records:
                self._upsert(conn, records)
            gone = conn.execute(
                delete(lessons).where(
                    lessons.c.client == client,
                    lessons.c.milestone == milestone,
                    lessons.c.number > len(records),
                )
            )
        return int(gone.rowcount or 0)

    def count(self) -> int:
        """How many lessons the KB holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(lessons)).scalar_one())

    def _where(self, filters: Filters, alias: str = "l") -> tuple[list[str], dict[str, Any]]:
        clauses, params = [], {}
        for name in ("stage", "category", "client"):
            if getattr(filters, name):
                clauses.append(f"{alias}.{name} = :{name}")
                params[name] = getattr(filters, name)
        if filters.tag:
            clauses.append(f"(' ' || {alias}.tags || ' ') LIKE :tag")
            params["tag"] = f"% {filters.tag.lower()} %"
        if filters.since:
            clauses.append(f"{alias}.retro_date >= :since")
            params["since"] = filters.since.isoformat()
        if filters.until:
            clauses.append(f"{alias}.retro_date <= :until")
            params["until"] = filters.until.isoformat()
        return clauses, params

    def search(self, query: str, filters: Filters = Filters(), limit: int = 20) -> list[dict[str, Any]]:
        """Lessons matching ``query``, best first, each with a ``score`` (larger is better)."""
        clauses, params = self._where(filters)
        params.update(q=fts_query(query, self.dialect), limit=limit)
        extra = "".join(f" AND {c}" for c in clauses)
        if self.dialect == "sqlite":
            return self._search_sqlite(self._where(filters, "x")[0], params, limit)
        elif self.dialect == "postgresql":
            # PostgreSQL ranks an OR query without regard to adjacency: add the ranks of "all words" and of
            # "the exact phrase", which are zero unless they match, so the phrase comes first
            params["words"] = " ".join(query_words(query))
            sql = (
                "SELECT l.*, ts_rank_cd(l.search, q) "
                "+ ts_rank_cd(l.search, plainto_tsquery('english', :words)) "
                "+ 2 * ts_rank_cd(l.search, phraseto_tsquery('english', :words)) AS score FROM lessons l, "
                f"websearch_to_tsquery('english', :q) q WHERE l.search @@ q{extra} "
                "ORDER BY score DESC, l.id LIMIT :limit"
            )
        else:
            return self._search_like(query, clauses, params, limit)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(text(sql), params).mappings()]

    def _search_sqlite(self, clauses: list[str], params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """bm25 over the RANK_WINDOW newest matches, then the filters; all matches when that finds too few."""
        # bm25 costs microseconds per matching row: a word found in tens of thousands of lessons would cost
        # tens of milliseconds, so a search ranks the newest matches first and widens only when it must
        weights = ", ".join(str(w) for w in FTS_WEIGHTS)
        where = "".join(f" AND {c}" for c in clauses)
        windowed = (
            f"SELECT x.*, -m.rank AS score FROM (SELECT rowid AS id, bm25(lessons_fts, {weights}) AS rank "
            "FROM lessons_fts WHERE lessons_fts MATCH :q ORDER BY rowid DESC LIMIT :window) m "
            f"JOIN lessons x ON x.id = m.id WHERE 1 = 1{where} ORDER BY m.rank, x.id LIMIT :limit"
        )
        full = (
            f"SELECT x.*, -bm25(lessons_fts, {weights}) AS score FROM lessons_fts "
            f"JOIN lessons x ON x.id = lessons_fts.rowid WHERE lessons_fts MATCH :q{where} "
            f"ORDER BY bm25(lessons_fts, {weights}), x.id LIMIT :limit"
        )
        with self.engine.connect() as conn:
            rows = [
                _row(r) for r in conn.execute(text(windowed), {**params, "window": RANK_WINDOW}).mappings()
            ]
            if len(rows) < limit and clauses:  # a narrow filter: its matches may all be older than the window
                rows = [_row(r) for r in conn.execute(text(full), params).mappings()]
        return rows

    def _search_like(self, query: str, clauses: list[str], params: dict[str, Any], limit: int) -> list[dict]:
        """Fallback for databases without a full-text index: rank by how many words match."""
        terms = [_phrase(t) for t in query_terms(query)]
        whole = _phrase(query_words(query))
        rows = self.list(Filters(), limit=100_000, _clauses=(clauses, params))
        scored = []
        for row in rows:
            body = (
                f"{row['statement']} {row['recommendation']} {' '.join(row['tags'])} {row['title']}".lower()
            )
            score = sum(len(t.findall(body)) for t in terms) + 5 * bool(whole.search(body))
            if score:
                scored.append({**row, "score": float(score)})
        return sorted(scored, key=lambda r: -r["score"])[:limit]

    def list(
        self,
        filters: Filters = Filters(),
        limit: int = 1000,
        _clauses: tuple[list[str], dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Lessons matching the filters, newest retro first."""
        clauses, params = _clauses or self._where(filters)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            f"SELECT l.* FROM lessons l{where} "
            "ORDER BY l.retro_date DESC, l.client, l.milestone, l.number LIMIT :limit"
        )
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(text(sql), {**params, "limit": limit}).mappings()]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def _phrase(words: list[str]) -> re.Pattern[str]:
    """A pattern of whole words in order, with anything but letters and digits between them."""
    return re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)")


def _row(mapping: Any) -> dict[str, Any]:
    row = {k: v for k, v in dict(mapping).items() if k != "search"}
    for key in ("follow_up", "facts", "private"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    row["tags"] = row["tags"].split() if row.get("tags") else []
    return row


def open_kb(url: str) -> KnowledgeBase:
    """The knowledge base at the store URL, created on first use."""
    try:
        return KnowledgeBase(url)
    except CsnbError:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver failure becomes one message a person can act on
        raise KnowledgeBaseError(
            f"cannot open the lessons knowledge base at {_safe(url)}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        ) from None


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def tags_text(tags: Iterable[str]) -> str:
    """Tags as the space-separated text the KB stores."""
    return " ".join(t.lower() for t in tags)

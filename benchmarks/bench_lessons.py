"""Benchmark the lessons knowledge base: ingest 100,000 lessons, then time ranked full-text searches.

Usage: python benchmarks/bench_lessons.py [--lessons 100000] [--searches 300] [--url sqlite:///path.db]
Prints the ingest rate and p50/p95 search latency; the goal is p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from csnb.store.lessons import Filters, open_kb

STAGES = ["discovery", "onboarding", "adoption", "value", "renewal", "expansion"]
CATEGORIES = ["process", "people", "technology", "data", "communication", "scope", "vendor", "commercial"]
TAGS = [
    "training",
    "champions",
    "vendor",
    "integration",
    "data-access",
    "scheduling",
    "pilot",
    "rollout",
    "change-control",
    "reporting",
    "lead-indicators",
    "go-live",
    "renewal",
    "pricing",
    "security",
    "sso",
]
SUBJECTS = [
    "training",
    "onboarding",
    "integration",
    "vendor",
    "dashboard",
    "pilot",
    "rollout",
    "migration",
    "renewal",
    "forecast",
    "routing",
    "security",
    "support",
    "adoption",
    "licence",
    "sign-off",
    "workshop",
    "handover",
    "champion",
    "escalation",
    "billing",
    "kick-off",
    "survey",
    "playbook",
    "data",
    "api",
]
VERBS = [
    "slipped",
    "ran late",
    "went well",
    "was skipped",
    "needed approval",
    "was blocked",
    "moved early",
    "surprised the team",
    "cost a week",
    "saved days",
    "confused users",
    "was rushed",
]
CAUSES = [
    "because the client",
    "since nobody",
    "after the vendor",
    "when the sponsor",
    "while the team",
    "until the admins",
    "before the data",
    "as the champions",
]
ACTIONS = ["Book", "Confirm", "Schedule", "Ask for", "Agree", "Pilot", "Track", "Review", "Train", "Document"]


def synthetic(n: int, seed: int = 11) -> list[dict]:
    """``n`` deterministic lesson records across 500 clients."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rnd.sample(SUBJECTS, 2)
        rows.append(
            {
                "client": f"client{i % 500:03d}",
                "milestone": f"M{i // 500 % 40}",
                "number": i // 20000 + 1,
                "client_name": f"Client {i % 500}",
                "title": f"{a.title()} and {b}",
                "stage": rnd.choice(STAGES),
                "category": rnd.choice(CATEGORIES),
                "impact": rnd.choice(["low", "medium", "high"]),
                "statement": f"{a.capitalize()} {b} {rnd.choice(VERBS)} "
                f"{rnd.choice(CAUSES)} {rnd.choice(SUBJECTS)} "
                f"{rnd.choice(VERBS)}",
                "recommendation": f"{rnd.choice(ACTIONS)} the {a} "
                f"{rnd.choice(['early', 'weekly', 'in writing', 'twice'])}"
                f" and check {rnd.choice(SUBJECTS)}",
                "tags": " ".join(rnd.sample(TAGS, rnd.randint(1, 3))),
                "owner": None,
                "follow_up": None,
                "retro_date": f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                "facts": {"slip_days": i % 9},
                "private": {"client": [f"client{i % 500:03d}"], "people": []},
            }
        )
    return rows


def queries(n: int, seed: int = 5) -> list[tuple[str, Filters]]:
    """Searches as people type them: one to three words, a quarter with a filter."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        words = " ".join(rnd.sample(SUBJECTS + ["late", "early", "week", "approval"], rnd.randint(1, 3)))
        filters = Filters(stage=rnd.choice(STAGES)) if rnd.random() < 0.25 else Filters()
        out.append((words, filters))
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--url", default=None, help="store URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        kb = open_kb(url)
        rows = synthetic(args.lessons)
        started = time.perf_counter()
        for i in range(0, len(rows), args.batch):
            kb.upsert(rows[i : i + args.batch])
        ingest = time.perf_counter() - started
        started = time.perf_counter()
        kb.upsert(rows[: args.batch])  # a re-run: unchanged lessons are not rewritten
        rerun = time.perf_counter() - started
        print(
            f"ingest: {len(rows):,} lessons in {ingest:.1f} s = {len(rows) / ingest:,.0f} lessons/s "
            f"(batches of {args.batch}); re-upserting {args.batch} unchanged: {rerun * 1000:.0f} ms; "
            f"rows: {kb.count():,}"
        )
        for words, filters in queries(20, seed=1):  # warm the page cache, as a running service would be
            kb.search(words, filters, limit=10)
        latencies, hits = [], []
        for words, filters in queries(args.searches):
            t = time.perf_counter()
            hits.append(len(kb.search(words, filters, limit=10)))
            latencies.append((time.perf_counter() - t) * 1000)
        p50, p95 = statistics.median(latencies), percentile(latencies, 95)
        print(
            f"search: {len(latencies)} queries, top 10 each, {statistics.mean(hits):.1f} results on average; "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(latencies):.1f} ms "
            f"({'meets' if p95 < 50 else 'misses'} the 50 ms p95 goal)"
        )
        kb.dispose()


if __name__ == "__main__":
    main()

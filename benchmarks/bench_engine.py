"""Portfolio evaluation speed and memory: N clients x 10 metrics x 730 daily observations, in client chunks.

The observations are generated and evaluated ``--chunk`` clients at a time (``csnb.demo.synthetic``,
``csnb.indicators.evaluation.evaluate_in_chunks``), so memory is bounded by one chunk, not by the
portfolio. Prints the time to validate the plans and make the observations, the vectorised evaluation
time, a client-by-client loop measured on a sample and scaled, their ratio, and the peak RSS.
Goals: 1,000 clients (7.3 M rows) evaluated in under 5 s on 2 cores and at least 10x the loop;
10,000 clients (73 M rows) with a peak RSS under 4 GB.

    python benchmarks/bench_engine.py [--clients 1000] [--chunk 500] [--loop-sample 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from collections import Counter

from csnb.demo.data import SYNTHETIC_START, synthetic_plan
from csnb.demo.synthetic import chunk_observations, chunks
from csnb.indicators.evaluation import Portfolio, evaluate
from csnb.plan import Plan

AS_OF = SYNTHETIC_START + dt.timedelta(days=300)  # mid-plan: every metric status occurs


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=500, help="clients generated and evaluated at a time")
    parser.add_argument(
        "--loop-sample", type=int, default=200, help="clients evaluated one by one; scaled to --clients"
    )
    args = parser.parse_args()
    n = args.clients
    timing = Counter()
    metric_statuses: Counter = Counter()
    milestone_statuses: Counter = Counter()
    rows = metrics = 0
    loop, sampled = 0.0, 0
    for part in chunks(n, args.chunk):
        t0 = time.perf_counter()
        plans = [Plan.model_validate(synthetic_plan(i)) for i in part]
        t1 = time.perf_counter()
        obs = chunk_observations(part)
        t2 = time.perf_counter()
        portfolio = Portfolio(plans, obs, AS_OF)
        t3 = time.perf_counter()
        timing.update(plans=t1 - t0, observations=t2 - t1, portfolio=t3 - t2)
        rows += len(obs)
        metrics += len(portfolio.metrics)
        metric_statuses.update(portfolio.metrics["status"].value_counts().to_dict())
        milestone_statuses.update(portfolio.milestones["status"].value_counts().to_dict())
        if sampled < args.loop_sample:
            loop, sampled = _loop(plans[: args.loop_sample - sampled], obs, loop, sampled)
        del portfolio, obs, plans  # the next chunk starts from the same memory
    scaled = loop * n / max(sampled, 1)
    print(f"{n:,} clients, {rows:,} observations, {metrics:,} metrics, in chunks of {args.chunk} clients")
    print(f"plans validated in {timing['plans']:.1f} s")
    print(f"observations generated in {timing['observations']:.1f} s")
    print(f"metric statuses: {dict(metric_statuses)}")
    print(f"milestone statuses: {dict(milestone_statuses)}")
    print(f"portfolio (vectorised, chunked): {timing['portfolio']:.2f} s")
    print(f"client-by-client loop:  {scaled:.2f} s (measured on {sampled} clients, scaled)")
    print(f"ratio: {scaled / timing['portfolio']:.1f}x")
    print(f"total: {sum(timing.values()):.1f} s")
    print(f"peak memory (max RSS of this process, observations included): {peak_rss_mb():,.0f} MB")


def _loop(plans: list[Plan], obs, loop: float, sampled: int) -> tuple[float, int]:
    """Add the time of evaluating ``plans`` one by one (their rows split outside the timing)."""
    rows = obs.groupby("client", observed=True, sort=False).indices
    t0 = time.perf_counter()
    for plan in plans:
        evaluate(plan, obs.take(rows[plan.client.id]), AS_OF)
    return loop + time.perf_counter() - t0, sampled + len(plans)


if __name__ == "__main__":
    main()

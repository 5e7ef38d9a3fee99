"""A large portfolio is generated and evaluated in client chunks; chunking changes no row and no status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from batchkit import make_project
from pandas.testing import assert_frame_equal

from csnb.demo.data import SYNTHETIC_START, synthetic_plan
from csnb.demo.synthetic import chunk_observations, chunks
from csnb.indicators.evaluation import evaluate_in_chunks, evaluate_portfolio
from csnb.indicators.portfolio import portfolio_status
from csnb.plan import Plan

AS_OF = SYNTHETIC_START + dt.timedelta(days=300)
COLUMNS = ["client", "metric", "status", "current", "progress", "expected", "trend", "forecast_date"]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"client": str, "metric": str}).reset_index(drop=True)


def test_a_clients_rows_do_not_depend_on_the_chunk_it_is_made_in() -> None:
    whole = chunk_observations(range(0, 6), days=30)
    part = chunk_observations(range(4, 6), days=30)

    assert len(whole) == 6 * 10 * 30 and len(part) == 2 * 10 * 30
    assert_frame_equal(_plain(whole[whole["client"].isin(["client-00004", "client-00005"])]), _plain(part))
    assert [list(r) for r in chunks(7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_evaluating_in_chunks_gives_the_statuses_of_one_pass() -> None:
    plans = [Plan.model_validate(synthetic_plan(i)) for i in range(7)]
    observations = chunk_observations(range(7), days=400)
    asked: list[list[str]] = []

    def rows_of(part: list[Plan]) -> pd.DataFrame:
        ids = [p.client.id for p in part]
        asked.append(ids)
        return observations[observations["client"].isin(ids)]

    chunked = pd.concat([p.metrics[COLUMNS] for p in evaluate_in_chunks(plans, rows_of, AS_OF, chunk=3)])
    at_once = evaluate_portfolio(plans, observations, AS_OF).metrics[COLUMNS]

    assert [len(ids) for ids in asked] == [3, 3, 1]  # each chunk's observations fetched for it alone
    assert_frame_equal(_plain(chunked), _plain(at_once))
    assert set(at_once["status"]) >= {"achieved", "off_track", "missed"}  # real statuses are compared


def test_status_of_every_client_is_the_same_chunk_by_chunk(tmp_path: Path, monkeypatch) -> None:
    root = make_project(tmp_path / "p", ["alpha", "beta", "gamma"])
    monkeypatch.chdir(root)

    one_by_one = portfolio_status(None, dt.date(2026, 10, 15), chunk=1)

    assert one_by_one == portfolio_status(None, dt.date(2026, 10, 15))
    assert [c["client"] for c in one_by_one["clients"]] == ["alpha", "beta", "gamma"]
    assert {c["metrics"][0]["status"] for c in one_by_one["clients"]} == {"on_track"}

"""Client inputs: what the client must provide for a milestone, ``received``, ``overdue`` or ``open``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from csnb.plan.models import Plan

INPUT_COLUMNS = [
    "client",
    "milestone",
    "description",
    "owner",
    "needed_by",
    "received_on",
    "status",
    "days_overdue",
    "milestone_done",
]


def input_status(needed_by: dt.date | None, received_on: dt.date | None, as_of: dt.date) -> str:
    """``received`` once ``received_on`` is set (not after ``as_of``); else ``overdue`` past ``needed_by``."""
    if received_on is not None and received_on <= as_of:
        return "received"
    if needed_by is not None and as_of > needed_by:
        return "overdue"
    return "open"


def input_table(plans: Iterable[Plan], milestones: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One row per client input of every plan, with its status at ``as_of``."""
    done = (
        set(
            zip(
                milestones["client"][milestones["status"] == "done"],
                milestones["milestone"][milestones["status"] == "done"],
                strict=True,
            )
        )
        if len(milestones)
        else set()
    )
    rows = []
    for plan in plans:
        for m in plan.milestones:
            for ci in m.client_inputs:
                status = input_status(ci.needed_by, ci.received_on, as_of)
                rows.append(
                    {
                        "client": plan.client.id,
                        "milestone": m.id,
                        "description": ci.description,
                        "owner": ci.owner,
                        "needed_by": ci.needed_by,
                        "received_on": ci.received_on,
                        "status": status,
                        "days_overdue": (as_of - ci.needed_by).days if status == "overdue" else 0,
                        "milestone_done": (plan.client.id, m.id) in done,
                    }
                )
    return pd.DataFrame(rows, columns=INPUT_COLUMNS)


def needed_from_client(inputs: pd.DataFrame) -> pd.DataFrame:
    """Open and overdue inputs of milestones not done: overdue first (most days first), then by date."""
    if not len(inputs):
        return inputs
    wanted = inputs[(inputs["status"] != "received") & ~inputs["milestone_done"].astype(bool)]
    order = wanted.assign(
        _overdue=wanted["status"] != "overdue",
        _by=wanted["needed_by"].map(lambda d: d or dt.date.max),
    )
    return order.sort_values(["_overdue", "days_overdue", "_by"], ascending=[True, False, True]).drop(
        columns=["_overdue", "_by"]
    )

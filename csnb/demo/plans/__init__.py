"""The demo success plans (three clients) as plain data, designed together with ``csnb.demo.data``."""

from __future__ import annotations

from csnb.demo.plans.acme import acme_plan
from csnb.demo.plans.fernhill import fernhill_plan
from csnb.demo.plans.northwind import northwind_plan

DEMO_PLANS = {"northwind": northwind_plan, "acme": acme_plan, "fernhill": fernhill_plan}

__all__ = ["DEMO_PLANS", "acme_plan", "fernhill_plan", "northwind_plan"]

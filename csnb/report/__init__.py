"""The client report's content: prepared from a plan and its snapshot, shown section by section."""

from __future__ import annotations

from csnb.report.build import AUDIENCES, SUMMARY_MIME, Report, prepare
from csnb.report.onepager import BAND_STYLE, ONEPAGER_MIME, one_pager
from csnb.report.texts import RULES, change_lines, goal_detail, health_reasons, why_lines

__all__ = [
    "AUDIENCES",
    "BAND_STYLE",
    "ONEPAGER_MIME",
    "RULES",
    "Report",
    "SUMMARY_MIME",
    "change_lines",
    "goal_detail",
    "health_reasons",
    "one_pager",
    "prepare",
    "why_lines",
]

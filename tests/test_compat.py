"""What users' copied notebooks and scripts import keeps working after the move to subpackages."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from importlib.metadata import entry_points

import pytest

import csnb


def test_the_report_notebook_api_is_where_copied_notebooks_look() -> None:
    import csnb.report

    assert callable(csnb.report.prepare)
    assert {"AUDIENCES", "Report", "SUMMARY_MIME"} <= set(dir(csnb.report))


@pytest.mark.slow
def test_the_old_retrospective_module_still_imports_with_a_deprecation_warning() -> None:
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n    import csnb.retroreport\nexcept DeprecationWarning as w:\n    print('warned:', w)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "warned: csnb.retroreport moved to csnb.retro" in done.stdout, done.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("csnb.retroreport")
    import csnb.retro

    assert old.prepare_retro is csnb.retro.prepare_retro


def test_public_names_of_the_package_resolve() -> None:
    for name in csnb.__all__:
        assert getattr(csnb, name) is not None, name
    assert csnb.charts.metric_chart and csnb.lessons.export_kb  # old submodule names still answer
    plan_class = csnb.Project.plan_model
    assert all(hasattr(plan_class, m) for m in ("observations", "evaluate", "chart", "what_if"))


def test_the_nbconvert_exporter_and_papermill_engines_are_registered() -> None:
    exporters = {ep.name: ep.value for ep in entry_points(group="nbconvert.exporters")}
    assert exporters["csnb-report"] == "csnb.render:ReportExporter"
    engines = {ep.name for ep in entry_points(group="papermill.engine")}
    assert {"csnb-warm-shell", "csnb-warm-kernel"} <= engines
    from csnb.render import ReportExporter

    assert ReportExporter.output_mimetype == "text/html"

"""The environment check of notebook 00 says plainly what is missing or of the wrong version."""

from __future__ import annotations

import pytest

from course_lib import envcheck


@pytest.mark.parametrize(
    "spec, found, expected",
    [
        (">=4.2,<5", "4.6.6", "ok"),
        (">=4.2,<5", "3.6.0", "too old"),
        (">=4.2,<5", "5.0.1", "too new"),
        ("==2.13.0", "2.13.0+cpu", "ok"),
        ("==2.13.0", "2.12.1", "too old"),
        ("==2.13.0", "2.14.0", "too new"),
        (">=1", None, "missing"),
        ("", "0.0.1", "ok"),
        (">=1", "not-a-version", "wrong version"),
    ],
)
def test_verdict(spec, found, expected):
    assert envcheck.verdict(spec, found) == expected


def test_report_names_each_problem_and_how_to_fix_it():
    versions = {"torch": "2.12.0", "ipywidgets": None, "tqdm": "4.70.1"}
    report = envcheck.check_environment(["torch==2.13.0", "ipywidgets>=8.1,<9", "tqdm>=4.66"], versions.get)
    assert not report.ok
    summary = report.summary()
    assert "2 problem(s) found" in summary and "make install" in summary
    assert "torch: too old (found 2.12.0, the course needs ==2.13.0)" in summary
    assert "ipywidgets: missing (found nothing, the course needs >=8.1,<9)" in summary
    assert "tqdm" not in summary
    assert "tqdm" in report.table() and "4.70.1" in report.table()


def test_this_environment_passes_the_courses_own_check():
    """The suite runs in the course's environment, so the real check must come out clean here."""
    report = envcheck.check_environment()
    assert {p.name for p in report.packages} >= {"torch", "jupyterlab", "ipywidgets", "matplotlib", "nbval"}
    assert report.ok, report.summary()
    assert report.summary().startswith(f"All {len(report.packages)} packages")


def test_a_kernel_outside_the_course_environment_is_told_so(monkeypatch):
    monkeypatch.setattr(envcheck, "course_requirements", lambda: None)
    report = envcheck.check_environment()
    assert not report.ok and "not installed in this kernel's environment" in report.summary()

import pytest

from governance.reporting import filters


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (0.31273841, "0.3127"),
        (0.8, "0.8000"),
        (0.0, "0.0000"),
        (-0.05, "-0.0500"),
        (0.00001234, "1.234e-05"),
        (16281, "16,281"),
        (1234.56789, "1,234.5679"),
        (True, "yes"),
        (float("nan"), "NaN"),
        (float("inf"), "∞"),
        ("n/a", "n/a"),
    ],
)
def test_number(value, expected):
    assert filters.number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"min": 0.8, "max": None}, "≥ 0.8000"),
        ({"min": None, "max": 0.1}, "≤ 0.1000"),
        ({"min": 0.8, "max": 1.25}, "0.8000 – 1.2500"),
        ({"min": None, "max": None}, "—"),
        ({"min": 30, "max": None}, "≥ 30"),
        (None, "—"),
    ],
)
def test_threshold(value, expected):
    assert filters.threshold(value) == expected


def test_timestamp_and_date():
    assert filters.timestamp("2026-11-27T14:00:02.654321Z") == "2026-11-27 14:00:02 UTC"
    assert filters.timestamp("2026-11-27T15:00:02+01:00") == "2026-11-27 14:00:02 UTC"
    assert filters.date("2026-11-27T14:00:02Z") == "2026-11-27"
    assert filters.timestamp("yesterday") == "yesterday"
    assert filters.timestamp(None) == "—"


def test_labels():
    assert filters.verdict_label("failed") == "FAILED"
    assert filters.verdict_label("passed") == "PASSED"
    assert filters.outcome_label("insufficient") == "INSUFFICIENT"
    assert filters.outcome_label("novel") == "NOVEL"
    assert filters.text(None) == "—"
    assert filters.text("") == "—"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "samples/adult-income/models/baseline.skops",
            "samples/adult-income/models/baseline.skops",
        ),
        ("/home/alice/work/models/baseline.skops", "baseline.skops"),
        ("C:\\Users\\alice\\data.csv", "data.csv"),
        ("pack:fairness-baseline", "pack:fairness-baseline"),
        (None, "—"),
    ],
)
def test_file_name_never_shows_a_machine_path(value, expected):
    assert filters.file_name(value) == expected


def test_a_report_of_an_older_record_names_files_not_machine_paths(evaluation):
    from governance.reporting.render import render_html

    evaluation["artifacts"]["model"]["path"] = "/home/alice/work/models/baseline.skops"
    evaluation["artifacts"]["data"]["path"] = "/home/alice/work/data/adult-test.csv.gz"
    html = render_html(evaluation)
    assert "/home/alice" not in html
    assert "baseline.skops" in html and "adult-test.csv.gz" in html

"""The derived views: lineage graph, coverage, counts, intervals."""

import xml.etree.ElementTree as ET

from governance.record import read_record
from governance.reporting import render_html
from governance.reporting.lineage_svg import lineage_svg
from governance.reporting.view import coverage, intervals_of, outcome_by_severity


def test_lineage_graph_is_valid_svg_with_escaped_text(evaluation):
    evaluation["lineage"]["training_run"] = "run <&> 'x'"
    evaluation["model"]["name"] = "<script>"
    svg = lineage_svg(evaluation)
    root = ET.fromstring(svg)  # well-formed XML: nothing unescaped
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "TRAINING RUN" in texts and "run <&> 'x'" in texts
    assert any(t and t.startswith("<script>") for t in texts)
    assert "CODE" in texts and "commit abc123" in texts


def test_lineage_code_path_without_commit(evaluation):
    evaluation["lineage"]["code"] = {"path": "samples/adult-income/train.py"}
    texts = [t.text or "" for t in ET.fromstring(lineage_svg(evaluation)).iter()]
    assert "train.py" in texts  # the file's name, whole; never a cut-off path
    assert "commit not recorded" in texts
    html = render_html(evaluation)
    assert "samples/adult-income/train.py" in html
    assert "(no repository or commit recorded)" in html


def test_lineage_boxes_name_files_whole_and_the_evaluation_by_its_full_id(evaluation):
    evaluation["lineage"]["training_datasets"] = [
        {"namespace": "file", "name": "samples/german-credit/data/german-train.csv.gz"}
    ]
    texts = [t.text or "" for t in ET.fromstring(lineage_svg(evaluation)).iter()]
    assert "german-train.csv.gz" in texts
    assert "file: samples/german-credit/data" in texts
    assert evaluation["evaluation_id"] in texts
    assert not any("…" in text for text in texts if "german" in text)


def test_lineage_graph_without_lineage(evaluation):
    evaluation["lineage"] = {}
    texts = [t.text for t in ET.fromstring(lineage_svg(evaluation)).iter()]
    assert "MODEL" in texts and "EVALUATION" in texts
    assert "TRAINING DATA" not in texts


def test_coverage_separates_automatic_and_documentary_controls(full_record):
    packs = {pack["policy"]: pack for pack in coverage(read_record(full_record))}
    docs = {row["control"]: row for row in packs["model-documentation"]["controls"]}
    assert docs["EU AI Act Art. 11"]["method"] == "documentary evidence"
    assert docs["EU AI Act Art. 14"]["status"] == "not assessed"  # only a skipped rule
    fairness = {row["control"]: row for row in packs["fairness-baseline"]["controls"]}
    assert fairness["EU AI Act Art. 10(2)(f)"]["status"] == "not met"
    assert fairness["EU AI Act Art. 10(2)(f)"]["method"] == "automatic"
    assert fairness["EU AI Act Art. 10(2)(f)"]["framework"] == "EU AI Act"


def test_counts_by_severity(full_record):
    findings = read_record(full_record).findings
    rows = {row["severity"]: row for row in outcome_by_severity(findings)}
    assert rows["high"]["counts"]["fail"] == 2
    assert rows["medium"]["counts"] == {**rows["medium"]["counts"], "waived": 1, "skipped": 1}
    assert sum(row["total"] for row in rows.values()) == len(full_record["findings"])


def test_intervals_in_either_shape():
    assert intervals_of({"metrics": {"tpr": 0.5}, "intervals": {"tpr": [0.4, 0.6]}}) == {
        "tpr": (0.4, 0.6)
    }
    assert intervals_of(
        {"metrics": {"tpr": 0.5}, "intervals": {"tpr": {"low": 0.4, "high": 0.6}}}
    ) == {"tpr": (0.4, 0.6)}
    assert intervals_of({"metrics": {"tpr": 0.5}}) == {}


def test_a_version_1_records_stored_svg_is_never_rendered(tmp_path, evaluation):
    """Charts are drawn from the evidence: SVG text a record holds cannot reach the report."""

    evaluation["findings"][0]["charts"] = [
        {
            "title": "hostile",
            "svg": (
                '<svg xmlns="http://www.w3.org/2000/svg" '
                'xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">'
                '<image href="file:///etc/passwd" width="10" height="10"/>'
                '<image xlink:href="http://127.0.0.1:9/x.png" width="10" height="10"/>'
                "</svg>"
            ),
        }
    ]
    html = render_html(evaluation)
    assert "hostile" not in html and "etc/passwd" not in html and "127.0.0.1" not in html
    assert "Figure: four-fifths-sex: measured" in html  # drawn from the evidence instead

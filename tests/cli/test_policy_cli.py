"""governance policy lint | test | docs: exit codes and what they print."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Run
from tests.conftest import REPO
from tests.policy.helpers import policy_text

Write = Callable[[str, str], Path]

CLEAN = """
- id: ratio
  title: Four-fifths
  severity: high
  check: fairness.demographic_parity_ratio
  threshold: {min: 0.8}
  controls: ["29 CFR 1607.4(D)"]
  remediation: Mitigate.
"""

TEST_FILE = """
apiVersion: governance/v1
kind: PolicyTest
policies: [policy.yaml]
tests:
  - name: biased fails
    evidence: {{ratio: {{measured: 0.5}}}}
    expect: {{ratio: fail}}
  - name: {name}
    evidence: {{ratio: {{measured: 0.9}}}}
    expect: {{ratio: {outcome}}}
"""


def test_lint_of_the_shipped_policies_is_clean(run: Run) -> None:
    result = run("policy", "lint", REPO / "policies")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(": no problems\n")
    assert "warning" not in result.stdout


def test_lint_prints_warnings_and_fails_only_with_strict(run: Run, write: Write) -> None:
    path = write("p.yaml", policy_text(CLEAN.replace('  controls: ["29 CFR 1607.4(D)"]\n', "")))
    result = run("policy", "lint", path)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{path}:6:5: warning: rule ratio names no controls",
        "1 policy, 1 rule, 0 waiver files: 1 warning",
    ]
    assert run("policy", "lint", "--strict", path).exit_code == 1


def test_lint_checks_a_waivers_file_too(run: Run, write: Write) -> None:
    path = write("p.yaml", policy_text(CLEAN))
    waivers = write(
        "w.yaml",
        "apiVersion: governance/v1\nkind: Waivers\nwaivers:\n"
        "  - {rule_id: gone, subject: {model: m}, justification: j, approved_by: a, ticket: T,"
        " expires: 2099-01-01}\n",
    )
    result = run("policy", "lint", path, "--waivers", waivers)
    assert f"{waivers}:4:5: warning: waiver names rule gone, which no policy has" in result.stdout


def test_lint_error_is_one_line_exit_2(run: Run, write: Write) -> None:
    path = write("p.yaml", policy_text(CLEAN + "  when: model.risk_tier ==\n"))
    result = run("policy", "lint", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}:13:29: rules[0].when: invalid CEL in when: unexpected end of expression\n"
    )
    assert result.stdout == ""


def test_policy_test_reports_each_case_and_fails_on_a_wrong_expectation(
    run: Run, write: Write
) -> None:
    write("policy.yaml", policy_text(CLEAN))
    good = write("good.test.yaml", TEST_FILE.format(name="fair passes", outcome="pass"))
    result = run("policy", "test", good)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        str(good),
        "  PASS  biased fails",
        "  PASS  fair passes",
        "2 tests: 2 passed, 0 failed; every rule has a test",
    ]
    bad = write("bad.test.yaml", TEST_FILE.format(name="fair fails?", outcome="fail"))
    result = run("policy", "test", bad)
    assert result.exit_code == 1
    assert "  FAIL  fair fails?" in result.stdout
    expected = "        ratio: expected fail, got pass (selection-rate ratio: 0.9 is >= 0.8)"
    assert expected in result.stdout


def test_policy_test_lists_untested_rules_and_strict_fails_on_them(run: Run, write: Write) -> None:
    second = CLEAN.replace("id: ratio", "id: other")
    write("policy.yaml", policy_text(CLEAN + second))
    path = write("t.test.yaml", TEST_FILE.format(name="fair passes", outcome="pass"))
    result = run("policy", "test", path)
    assert result.exit_code == 0
    assert "  untested rules: other" in result.stdout
    assert result.stdout.endswith("2 tests: 2 passed, 0 failed; 1 rule without a test\n")
    assert run("policy", "test", "--strict", path).exit_code == 1


def test_untested_rules_are_counted_once_across_test_files(run: Run, write: Write) -> None:
    second = CLEAN.replace("id: ratio", "id: other")
    folder = write("policy.yaml", policy_text(CLEAN + second)).parent
    write("a.test.yaml", TEST_FILE.format(name="fair passes", outcome="pass"))
    write("b.test.yaml", TEST_FILE.format(name="fair passes too", outcome="pass"))
    result = run("policy", "test", folder)
    assert result.stdout.count("  untested rules: other") == 2  # each file says so
    assert result.stdout.endswith("4 tests: 4 passed, 0 failed; 1 rule without a test\n")
    # a rule one file leaves out and another tests is tested
    other = TEST_FILE.replace("ratio", "other")
    write("b.test.yaml", other.format(name="other passes", outcome="pass"))
    result = run("policy", "test", "--strict", folder)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.endswith("4 tests: 4 passed, 0 failed; every rule has a test\n")


def test_policy_test_of_a_directory_runs_the_test_files_in_it(run: Run) -> None:
    result = run("policy", "test", REPO / "policies")
    assert result.exit_code == 0, result.stdout
    assert "0 failed; every rule has a test" in result.stdout.splitlines()[-1]


def test_a_bad_test_file_is_exit_2(run: Run, write: Write) -> None:
    write("policy.yaml", policy_text(CLEAN))
    path = write("t.test.yaml", TEST_FILE.format(name="x", outcome="passes"))
    result = run("policy", "test", path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}:10:21: tests[1].expect.ratio: Input should be")


def test_docs_writes_the_catalogue(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "catalogue.md"
    result = run("policy", "docs", REPO / "policies" / "us-four-fifths.yaml", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Policy catalogue\n")
    assert "## us-four-fifths 1.1.0" in text
    assert "| 29 CFR 1607.4(D) (adverse impact and the four-fifths rule) |" in text


def test_docs_shows_list_params_as_the_policy_writes_them(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "catalogue.md"
    pack = REPO / "policies" / "eu-ai-act-high-risk.yaml"
    assert run("policy", "docs", pack, "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "(fields: [risk_management.risk_assessment, risk_management.mitigations," in text
    assert "['" not in text  # no Python reprs


def test_docs_say_which_bound_a_rule_on_an_interval_gates_on(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "catalogue.md"
    assert (
        run("policy", "docs", REPO / "samples/german-credit/policy.yaml", "-o", out).exit_code == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "| the lower 95% bound of the measured value's interval >= 0.8 |" in text
    assert "| measured >= 0.8 |" not in text.split("approval-ratio-by-sex-95")[1].split("\n")[0]


def test_docs_to_a_missing_folder_is_refused_not_created(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    pack = REPO / "policies" / "us-four-fifths.yaml"
    result = run("policy", "docs", pack, "-o", missing / "x.md")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {missing}: the output folder does not exist\n"
    assert not missing.exists()


def test_lint_of_a_folder_checks_the_waivers_files_in_it(run: Run, write: Write) -> None:
    """docs/ci.md's pre-commit layout: policies and their waivers in one folder."""
    write("policies/p.yaml", policy_text(CLEAN))
    waivers = write(
        "policies/waivers.yaml",
        "apiVersion: governance/v1\nkind: Waivers\nwaivers:\n"
        "  - {rule_id: ratio, subject: {model: m}, justification: j, approved_by: a, ticket: T,"
        " expires: 2099-01-01}\n",
    )
    write("policies/p.test.yaml", TEST_FILE.format(name="fair passes", outcome="pass"))
    folder = waivers.parent
    result = run("policy", "lint", folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "1 policy, 1 rule, 1 waiver file: no problems\n"
    # given again with --waivers, the file is checked once (no "second waiver" error)
    again = run("policy", "lint", folder, "--waivers", waivers)
    assert (again.exit_code, again.stdout) == (0, result.stdout)
    waivers.write_text(waivers.read_text().replace("rule_id: ratio", "rule_id: gone"))
    result = run("policy", "lint", folder, "--strict")
    assert result.exit_code == 1
    assert f"{waivers}:4:5: warning: waiver names rule gone, which no policy has" in result.stdout


def test_lint_error_in_a_folder_waivers_file_is_exit_2_naming_it(run: Run, write: Write) -> None:
    write("policies/p.yaml", policy_text(CLEAN))
    waivers = write(
        "policies/waivers.yaml",
        "apiVersion: governance/v1\nkind: Waivers\nwaivers:\n  - {rule_id: ratio}\n",
    )
    result = run("policy", "lint", waivers.parent)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {waivers}:4:")
    assert len(result.stderr.splitlines()) == 1

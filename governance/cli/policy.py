"""``governance policy``: lint, test and document policies like code."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import write_output
from governance.errors import EXIT_GATE_FAILED, EXIT_OK

PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))


@click.group()
def policy() -> None:
    """Lint, test and document policies (and waivers) before they gate a model."""


@policy.command("lint")
@PATHS
@click.option(
    "--waivers",
    "waiver_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also check this waivers file (kind: Waivers); repeatable.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings.")
def lint(paths: tuple[Path, ...], waiver_files: tuple[Path, ...], strict: bool) -> int:
    """Load PATHS (policy files, directories or pack:NAME) as a check would; report weaknesses.

    Waivers files (kind: Waivers) inside a directory are checked with the policies, as
    `governance check --policy DIR` applies them; *.test.yaml files are left to `policy test`.
    An error (schema, CEL, unknown check or param, duplicate id, extends cycle, relaxing
    override, wildcard waiver) prints one line and exits 2. Warnings (no controls or
    remediation, a waiver that names no rule, expired or expiring soon, a relaxed override, an
    expression reading an unknown manifest field) are printed; exit 0, or 1 with --strict.
    """
    from governance.checks import default_registry
    from governance.policy.lint import lint as run_lint

    result = run_lint(paths, default_registry(), waiver_files=waiver_files)
    for warning in result.warnings:
        click.echo(str(warning))
    count = len(result.warnings)
    files = len(result.waiver_files)
    click.echo(
        f"{len(result.policies)} polic{'ies' if len(result.policies) != 1 else 'y'}, "
        f"{result.rules} rule{'s' if result.rules != 1 else ''}, {files} waiver file"
        f"{'s' if files != 1 else ''}: "
        + (f"{count} warning{'s' if count != 1 else ''}" if count else "no problems")
    )
    return EXIT_GATE_FAILED if strict and count else EXIT_OK


@policy.command("test")
@PATHS
@click.option("--strict", is_flag=True, help="Also exit 1 when a rule has no test.")
@click.option("--verbose", "-v", is_flag=True, help="Show every finding of every case.")
def test(paths: tuple[Path, ...], strict: bool, verbose: bool) -> int:
    """Run policy tests: PATHS are test files (kind: PolicyTest) or directories of *.test.yaml.

    Each case gives evidence fixtures per rule and the outcome expected; the rules are judged by
    the same engine as `governance check`, without data or a model. Prints PASS/FAIL per case
    and the rules no case tests; exits 1 when a case fails (or, with --strict, a rule is
    untested), 2 when a test file is invalid. Expressions run within the CEL time budget
    (cel_budget_seconds, from GOVERNANCE_CEL_BUDGET_SECONDS or governance.yml).
    """
    from governance.checks import default_registry
    from governance.config import load_settings
    from governance.policy.loader import expand_policy_paths
    from governance.policy.testing import run_tests, untested_rules

    cel_seconds = load_settings().cel_budget_seconds
    results = run_tests(
        expand_policy_paths(paths, tests=True), default_registry(), cel_seconds=cel_seconds
    )
    total = failed = 0
    for result in results:
        click.echo(str(result.path))
        for case in result.cases:
            total += 1
            failed += not case.passed
            click.echo(f"  {'PASS' if case.passed else 'FAIL'}  {case.name}")
            for problem in case.problems:
                click.echo(f"        {problem}")
            if verbose:
                for finding in case.findings:
                    click.echo(f"        {finding.rule.id}: {finding.outcome} ({finding.message})")
        if result.untested:
            click.echo(f"  untested rules: {', '.join(result.untested)}")
    untested = len(untested_rules(results))  # distinct rule ids, tested by no file
    click.echo(
        f"{total} test{'s' if total != 1 else ''}: {total - failed} passed, {failed} failed; "
        + (
            f"{untested} rule{'s' if untested != 1 else ''} without a test"
            if untested
            else "every rule has a test"
        )
    )
    return EXIT_GATE_FAILED if failed or (strict and untested) else EXIT_OK


@policy.command("docs")
@PATHS
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the Markdown here.")
def docs(paths: tuple[Path, ...], output: Path | None) -> int:
    """Write a Markdown catalogue of the rules in PATHS (or pack:NAME), for compliance officers.

    Per policy: every rule's severity, check, threshold or assertion, controls and remediation,
    and a control-coverage table of what is checked automatically and what needs documentary
    evidence. Written to stdout, or to --output (whose folder must exist).
    """
    from governance.checks import default_registry
    from governance.policy.catalogue import catalogue
    from governance.policy.loader import load_policies
    from governance.reporting.formats.output import check_writable

    if output is not None:
        check_writable(output)
    write_output(catalogue(load_policies(paths, default_registry())), output)
    return EXIT_OK

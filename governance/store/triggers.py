"""The append-only triggers of ``audit_log``: what a store must have, finding and restoring them.

Triggers refuse every ``UPDATE`` and ``DELETE`` of a log row (and, on PostgreSQL, ``TRUNCATE``)
for any client. Whoever can change the schema can drop, replace or disable them, so
:meth:`AuditStore.verify` reports a trigger that is not exactly the one governance creates, and
opening a store re-creates it and records that in the log (an entry of kind
:data:`RESTORED_KIND`), so that an auditor learns of it.

The definitions here are those of migration ``0001``: a new store's triggers pass the check.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

__all__ = [
    "APPEND_ONLY",
    "RESTORED_KIND",
    "TriggerProblem",
    "expected_triggers",
    "repair_triggers",
    "restore_triggers",
    "trigger_problems",
]

APPEND_ONLY = "audit_log is append-only"
RESTORED_KIND = "store.triggers_restored"
"""The kind of the entry that records triggers re-created when a store was opened."""
NOT_RESTORED = (
    "audit store {url}: the append-only triggers of audit_log are missing or altered ({names}) "
    "and cannot be re-created: {reason}"
)
NOT_RESTORED_HINT = "re-create them as the owner of the audit_log table (docs/audit-store.md)"

SQLITE_TRIGGERS = {
    "audit_log_no_update": f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END
    """,
    "audit_log_no_delete": f"""
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END
    """,
}

PG_FUNCTION = "governance_audit_log_append_only"
PG_FUNCTION_BODY = f"""
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation';
    END
    """
PG_FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $fn${PG_FUNCTION_BODY}$fn$
    """
# tgtype bits (PostgreSQL's TRIGGER_TYPE_*): ROW 1, BEFORE 2, DELETE 8, UPDATE 16, TRUNCATE 32
PG_TRIGGERS = {
    "audit_log_no_update_delete": (
        1 | 2 | 8 | 16,
        f"""
        CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()
        """,
    ),
    "audit_log_no_truncate": (
        2 | 32,
        f"""
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()
        """,
    ),
}
PG_ENABLED = ("O", "A")
"""``tgenabled`` of a trigger that fires in ordinary sessions (origin, always)."""

PG_QUERY = """
SELECT t.tgname AS name, t.tgenabled::text AS enabled, t.tgtype AS type,
       t.tgqual IS NULL AS unconditional, cardinality(t.tgattr::int2[]) = 0 AS every_column,
       p.proname AS function, p.prosrc AS body, l.lanname AS language
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_language l ON l.oid = p.prolang
WHERE t.tgrelid = 'audit_log'::regclass AND NOT t.tgisinternal
"""

MISSING = "the append-only trigger {name} of audit_log is missing (dropped)"
ALTERED = "the append-only trigger {name} of audit_log was replaced by a different one"
DISABLED = "the append-only trigger {name} of audit_log is disabled"


@dataclass(frozen=True)
class TriggerProblem:
    """One append-only trigger that is not as governance creates it.

    Attributes
    ----------
    name
        The trigger.
    problem
        What is wrong, in one line (missing, replaced, disabled).
    """

    name: str
    problem: str


def expected_triggers(backend: str) -> tuple[str, ...]:
    """The names of the append-only triggers a store on ``backend`` must have.

    Parameters
    ----------
    backend
        ``sqlite`` or ``postgresql``.

    Returns
    -------
    tuple of str
        The trigger names.
    """
    return tuple(SQLITE_TRIGGERS if backend == "sqlite" else PG_TRIGGERS)


def trigger_problems(conn: Connection, backend: str) -> list[TriggerProblem]:
    """Compare the triggers of ``audit_log`` with the ones governance creates.

    Parameters
    ----------
    conn
        A connection to the store's database.
    backend
        ``sqlite`` or ``postgresql``.

    Returns
    -------
    list of TriggerProblem
        One per trigger that is missing, different or disabled, in a fixed order; empty if all
        are in place.
    """
    if backend == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).all()
        found = {row.name: _words(row.sql or "") for row in rows}
        problems = []
        for name, sql in SQLITE_TRIGGERS.items():
            if name not in found:
                problems.append(TriggerProblem(name, MISSING.format(name=name)))
            elif found[name] != _words(sql):
                problems.append(TriggerProblem(name, ALTERED.format(name=name)))
        return problems
    triggers = {row.name: row for row in conn.execute(text(PG_QUERY))}
    problems = []
    for name, (kind, _) in PG_TRIGGERS.items():
        row = triggers.get(name)
        if row is None:
            problems.append(TriggerProblem(name, MISSING.format(name=name)))
        elif not (
            row.type == kind
            and row.unconditional
            and row.every_column
            and row.function == PG_FUNCTION
            and row.language == "plpgsql"
            and _words(row.body) == _words(PG_FUNCTION_BODY)
        ):
            problems.append(TriggerProblem(name, ALTERED.format(name=name)))
        elif row.enabled not in PG_ENABLED:
            problems.append(TriggerProblem(name, DISABLED.format(name=name)))
    return problems


def restore_triggers(conn: Connection, backend: str, names: list[str]) -> None:
    """Re-create the named append-only triggers (dropping whatever has their names).

    Parameters
    ----------
    conn
        A connection inside the store's write transaction; its user must own ``audit_log``.
    backend
        ``sqlite`` or ``postgresql``.
    names
        Triggers :func:`trigger_problems` reported.
    """
    if backend == "sqlite":
        for name in names:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            conn.exec_driver_sql(SQLITE_TRIGGERS[name])
        return
    conn.exec_driver_sql(PG_FUNCTION_SQL)
    for name in names:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit_log")
        conn.exec_driver_sql(PG_TRIGGERS[name][1])


def _words(sql: str) -> str:
    return " ".join(sql.split())


def repair_triggers(conn: Connection, backend: str, *, url: str, secret: str | None) -> str | None:
    """Re-create missing or altered append-only triggers; the payload recording it, or None.

    Returns the canonical JSON of the ``store.triggers_restored`` entry to append in the same
    transaction (``triggers``: the names, ``problems``: what was wrong), or None if every
    trigger was in place.

    Raises
    ------
    StoreError
        If they cannot be re-created (not the table's owner), naming ``url``.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from governance.canonical import canonical_json
    from governance.errors import StoreError
    from governance.store.engine import db_reason

    problems = trigger_problems(conn, backend)
    if not problems:
        return None
    names = [found.name for found in problems]
    try:
        restore_triggers(conn, backend, names)
    except SQLAlchemyError as exc:
        reason = db_reason(exc, secret)
        raise StoreError(
            NOT_RESTORED.format(url=url, names=", ".join(names), reason=reason),
            hint=NOT_RESTORED_HINT,
        ) from None
    return canonical_json({"triggers": names, "problems": [found.problem for found in problems]})

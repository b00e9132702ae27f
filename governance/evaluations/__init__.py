"""Stored evaluations: the ``evaluation`` and ``report`` entries' query tables and reads.

The store keeps the log; this package says what the evaluations, findings and reports tables
hold (:mod:`~governance.evaluations.projection`) and reads an evaluation back from its
hash-checked entry (:mod:`~governance.evaluations.reads`).
"""

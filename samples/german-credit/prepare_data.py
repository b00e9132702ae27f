"""Convert the raw UCI German Credit file into the gzipped CSVs committed with this sample.

Usage::

    python samples/german-credit/prepare_data.py [SOURCE_DIR] [--out OUT_DIR]

``SOURCE_DIR`` holds ``german.data`` (space-separated, 20 coded attributes and the credit risk)
and ``codes.json`` as in ``../shared/datasets/german`` (the default, relative to the repository
root). ``OUT_DIR`` defaults to the ``data/`` folder next to this script.

Plain Python (no pandas), so the output is byte-for-byte reproducible: the attributes keep their
UCI codes; ``credit_risk`` 1/2 becomes ``good``/``bad``; two columns are added for the fairness
analysis, ``sex`` (from ``personal_status_sex`` by the UCI code table, see the README for why
that table is doubtful) and ``age_band``; the rows are split 70/30, stratified by credit risk,
with a fixed seed, into ``german-train.csv.gz`` and ``german-test.csv.gz`` (rows keep their
order within each file; ``applicant`` is the row's line number in ``german.data``).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "datasets" / "german"

ATTRIBUTES = [
    "status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment",
    "installment_rate",
    "personal_status_sex",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "other_installment_plans",
    "housing",
    "existing_credits",
    "job",
    "people_liable",
    "telephone",
    "foreign_worker",
    "credit_risk",
]
COLUMNS = ["applicant", *ATTRIBUTES, "sex", "age_band"]
RISK = {"1": "good", "2": "bad"}
# Age bands: young applicants, prime age, and 60 and over.
AGE_BANDS = ((0, "<25"), (25, "25-59"), (60, "60+"))
TEST_SHARE = 0.3
SEED = 20261127
ROWS = 1000


def sex_of(code: str, codes: dict[str, str]) -> str:
    """``male`` or ``female`` from the UCI description of a ``personal_status_sex`` code."""
    meaning = codes[code]
    sex = meaning.split(":")[0].strip()
    if sex not in {"male", "female"}:
        raise ValueError(f"personal_status_sex {code}: cannot read a sex from {meaning!r}")
    return sex


def age_band(age: int) -> str:
    """The band an age in years falls in."""
    band = AGE_BANDS[0][1]
    for lowest, name in AGE_BANDS:
        if age >= lowest:
            band = name
    return band


def rows_of(raw: str, codes: dict[str, dict[str, str]]) -> list[list[str]]:
    """Every applicant as a list of output fields."""
    rows = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != len(ATTRIBUTES):
            raise ValueError(f"german.data:{lineno}: expected {len(ATTRIBUTES)} fields")
        record = dict(zip(ATTRIBUTES, fields, strict=True))
        record["credit_risk"] = RISK[record["credit_risk"]]
        sex = sex_of(record["personal_status_sex"], codes["status_sex"])
        band = age_band(int(record["age"]))
        rows.append([str(lineno), *(record[name] for name in ATTRIBUTES), sex, band])
    if len(rows) != ROWS:
        raise ValueError(f"german.data: expected {ROWS} rows, found {len(rows)}")
    return rows


def split(rows: list[list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """70/30 split, stratified by credit risk, seeded; each part in the original order."""
    rng = random.Random(SEED)
    risk = COLUMNS.index("credit_risk")
    test: set[int] = set()
    for label in ("good", "bad"):
        members = [i for i, row in enumerate(rows) if row[risk] == label]
        test.update(rng.sample(members, round(len(members) * TEST_SHARE)))
    train = [row for i, row in enumerate(rows) if i not in test]
    held_out = [row for i, row in enumerate(rows) if i in test]
    return train, held_out


def csv_text(rows: list[list[str]]) -> str:
    """Header and rows, comma-separated (no field needs quoting)."""
    return "\n".join(",".join(row) for row in [COLUMNS, *rows]) + "\n"


def gzip_bytes(text: str) -> bytes:
    """Gzip ``text`` reproducibly: no file name, mtime 0, fixed compression level."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def prepare(source: Path, out: Path) -> list[Path]:
    """Write the train and test files; return their paths."""
    codes = json.loads((source / "codes.json").read_text(encoding="utf-8"))
    rows = rows_of((source / "german.data").read_text(encoding="ascii"), codes)
    train, test = split(rows)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, part in (("german-train.csv.gz", train), ("german-test.csv.gz", test)):
        path = out / name
        path.write_bytes(gzip_bytes(csv_text(part)))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args()
    for path in prepare(args.source, args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Convert the raw UCI Adult files into the gzipped CSVs committed with this sample.

Usage::

    python samples/adult-income/prepare_data.py [SOURCE_DIR] [--out OUT_DIR]

``SOURCE_DIR`` holds ``adult.data`` and ``adult.test`` as distributed by the UCI Machine
Learning Repository (default: ``../shared/datasets/adult``, relative to the repository root).
``OUT_DIR`` defaults to the ``data/`` folder next to this script.

The conversion is deliberately plain Python (no pandas) so that its output is byte-for-byte
reproducible across library versions: fields are split on ",", stripped of whitespace, "?"
becomes an empty cell, the trailing "." of the test labels is removed, and the gzip header
carries no file name and mtime 0.
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "datasets" / "adult"

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
LABELS = frozenset({">50K", "<=50K"})
# (raw file, output file, expected number of rows)
SPLITS = [
    ("adult.data", "adult-train.csv.gz", 32561),
    ("adult.test", "adult-test.csv.gz", 16281),
]


def convert(raw: str, *, source: str) -> str:
    """Return the CSV text (header included) for one raw Adult file."""
    out = [",".join(COLUMNS)]
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip() or line.startswith("|"):
            # blank trailing lines; adult.test starts with "|1x3 Cross validator"
            continue
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != len(COLUMNS):
            raise ValueError(
                f"{source}:{lineno}: expected {len(COLUMNS)} fields, got {len(fields)}"
            )
        fields[-1] = fields[-1].removesuffix(".")
        if fields[-1] not in LABELS:
            raise ValueError(f"{source}:{lineno}: unexpected label {fields[-1]!r}")
        for field in fields:
            if any(char in field for char in ',"\r\n'):
                raise ValueError(f"{source}:{lineno}: field needs CSV quoting: {field!r}")
        out.append(",".join("" if field == "?" else field for field in fields))
    return "\n".join(out) + "\n"


def gzip_bytes(text: str) -> bytes:
    """Gzip ``text`` reproducibly: no file name, mtime 0, fixed compression level."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def prepare(source: Path, out: Path) -> list[Path]:
    """Write the converted train and test files into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for raw_name, out_name, expected_rows in SPLITS:
        raw_path = source / raw_name
        text = convert(raw_path.read_text(encoding="utf-8"), source=str(raw_path))
        rows = text.count("\n") - 1
        if rows != expected_rows:
            raise ValueError(f"{raw_path}: expected {expected_rows} rows, got {rows}")
        target = out / out_name
        target.write_bytes(gzip_bytes(text))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help="folder with adult.data and adult.test (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "data", help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    for path in prepare(args.source, args.out):
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

"""Write a time-stamped production decision log of the adult-income baseline model.

The log replays the rows of ``data/adult-test.csv.gz`` as if the deployed baseline model
(``models/baseline.skops``) had decided on them, one row per request, over twelve weeks from
Monday 2026-01-05. From the shift date (default Monday 2026-02-16, the start of week 7) one
group's population changes: women's ``hours-per-week`` rise by 12 hours (capped at 99) and the
model, seeing them, selects more of them for ">50K". Nothing else changes, so a monitor that
compares each week with the gate's evaluation data must flag the shift in the first week after
it, in the ``Female`` group, and in no week before.

Columns: ``ts`` (ISO 8601, UTC), ``request_id``, the model's input columns, ``prediction`` and
``score`` (the model's probability of ">50K"), ``outcome`` (the true income) and
``outcome_ts``, when the outcome became known: ``label_delay_days`` (default 30) after the
decision. An outcome not known by ``--as-of`` (default: the end of the log) is left empty, as
it would be in a real log.

Deterministic: the same arguments give the same bytes (seeded shuffle and timestamps, gzip
without a timestamp). The file is not committed: the demo generates it at run time (about a
second), e.g.::

    python samples/adult-income/make_production_log.py --out out/production-log.csv.gz
"""

from __future__ import annotations

import argparse
import gzip
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "adult-test.csv.gz"
MODEL = HERE / "models" / "baseline.skops"
TARGET = "income"
POSITIVE = ">50K"
START = date(2026, 1, 5)
WEEKS = 12
SHIFT_DATE = date(2026, 2, 16)
SHIFT_GROUP = ("sex", "Female")
SHIFT_FEATURE = "hours-per-week"
SHIFT_HOURS = 12
MAX_HOURS = 99
LABEL_DELAY_DAYS = 30
SEED = 17


def build_log(
    *,
    start: date = START,
    weeks: int = WEEKS,
    shift_date: date = SHIFT_DATE,
    label_delay_days: int = LABEL_DELAY_DAYS,
    as_of: datetime | None = None,
    seed: int = SEED,
) -> pd.DataFrame:
    """The log as a DataFrame, rows in time order."""
    frame = pd.read_csv(DATA)
    rng = np.random.default_rng(seed)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    seconds = np.sort(rng.uniform(0, weeks * 7 * 86400, size=len(frame)))
    stamps = [begin + timedelta(seconds=float(round(s))) for s in seconds]
    shifted = (
        np.asarray([stamp.date() >= shift_date for stamp in stamps], dtype=bool)
        & (frame[SHIFT_GROUP[0]] == SHIFT_GROUP[1]).to_numpy()
    )
    hours = frame[SHIFT_FEATURE].to_numpy()
    frame[SHIFT_FEATURE] = np.where(shifted, np.minimum(hours + SHIFT_HOURS, MAX_HOURS), hours)

    model = skops.io.load(MODEL)
    features = frame.drop(columns=[TARGET])
    prediction = model.predict(features)
    positive = list(model.classes_).index(POSITIVE)
    score = model.predict_proba(features)[:, positive]

    end = as_of or begin + timedelta(days=weeks * 7)
    known = [stamp + timedelta(days=label_delay_days) for stamp in stamps]
    log = pd.DataFrame(
        {
            "ts": [_iso(stamp) for stamp in stamps],
            "request_id": [f"req-{index:06d}" for index in range(len(frame))],
        }
    )
    log = pd.concat([log, features], axis=1)
    log["prediction"] = prediction
    log["score"] = np.round(score, 6)
    arrived = np.asarray([stamp <= end for stamp in known], dtype=bool)
    log["outcome"] = np.where(arrived, frame[TARGET].to_numpy(), None)
    log["outcome_ts"] = [
        _iso(stamp) if ok else None for stamp, ok in zip(known, arrived, strict=True)
    ]
    return log


def _iso(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_log(log: pd.DataFrame, out: Path) -> None:
    """Write ``log`` as CSV, gzipped without a timestamp when ``out`` ends in ``.gz``."""
    text = log.to_csv(index=False, lineterminator="\n").encode("utf-8")
    if out.suffix == ".gz":
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as archive:
            archive.write(text)
        text = buffer.getvalue()
    out.write_bytes(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the log file (.csv or .csv.gz)")
    parser.add_argument("--shift-date", type=date.fromisoformat, default=SHIFT_DATE)
    parser.add_argument("--label-delay-days", type=int, default=LABEL_DELAY_DAYS)
    parser.add_argument(
        "--as-of",
        type=lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC),
        default=None,
        help="outcomes known by then are filled in (default: the end of the log)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    log = build_log(
        shift_date=args.shift_date,
        label_delay_days=args.label_delay_days,
        as_of=args.as_of,
        seed=args.seed,
    )
    write_log(log, args.out)
    print(f"{args.out}: {len(log)} decisions from {log['ts'].iloc[0]} to {log['ts'].iloc[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

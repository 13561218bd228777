"""`sales-operator` subcommands of the scoring area (registered by `sales_operator.cli`).

```text
sales-operator train --leads FILE --target COLUMN --out MODEL_DIR [--id COLUMN]
                     [--exclude COLUMN ...] [--time-column COLUMN] [--policy FILE]
                     [--max-rows N]
sales-operator score --model MODEL_DIR --leads FILE --out FILE [--chunk-rows N] [--quiet]
sales-operator drift --model MODEL_DIR --leads FILE
sales-operator model status|refresh|rollback [--workdir DIR]   the operator's own model
```

`model` works on the registry the operator scores with (`<workdir>/models`): `status` shows
the current version, its card's figures and the promotion history; `refresh` is the
scheduled retrain (run it from cron: it retrains once the model is
`scoring.retrain_every_days` old, or when only the rules model scores, keeping the previous
version); `rollback` makes the previously promoted version current again.

`train` uses the policy's feature spec (`scoring.features`) when `--policy` is given and
has one; otherwise it infers the features from the CSV (numeric when every non-blank value
parses as a number, else categorical). Either way the policy's leakage list
(`scoring.post_outcome_columns`, the bundled one by default) is enforced: a listed column in
the CSV must be `--exclude`d. `score` writes one row per input row: `id`, `probability`,
`band`, `percentile`, `top_factors` ("visited the pricing page 2 times: +8 pts; ...").

FILE is a CSV, or Parquet when it ends in `.parquet`/`.pq` (the `parquet` extra). `score`
streams: it reads, scores and writes `--chunk-rows` rows at a time
(`sales_operator.scoring.batch`), so memory stays flat however many rows there are, and
writes the scores (CSV, or Parquet by `--out`'s extension) to a temporary file renamed into
place at the end. `train` and `drift` hold the whole file in memory (a few KB per row of a
40-column CSV); `train --max-rows N` trains on N rows drawn uniformly at random in one
pass (kept in file order), for a file too large to hold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sales_operator.errors import DataError
from sales_operator.scoring.batch import CHUNK_ROWS, format_factors

__all__ = ["add_commands", "format_factors", "read_csv_rows"]


def read_csv_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a whole CSV (or Parquet) file into rows (strings from a CSV).

    Raises:
        DataError: when the file is missing, not UTF-8, empty, or has no data rows.
    """
    from sales_operator.scoring.batch import read_rows

    return read_rows(path)


def _say(text: str, *, file: Any = None) -> None:
    """Write one line of command output (stdout unless `file` is given)."""
    (file or sys.stdout).write(f"{text}\n")


def _policy(args: argparse.Namespace) -> Any:
    from sales_operator.policy import default_policy, load_policy

    return load_policy(args.policy) if getattr(args, "policy", None) else default_policy()


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model on a CSV or Parquet file of leads or closed deals; save it to `--out`."""
    from sales_operator.scoring.tabular import train_tabular

    if args.max_rows:
        from sales_operator.scoring.batch import sample_rows

        rows, total = sample_rows(args.leads, args.max_rows)
        if total > len(rows):
            _say(f"training on {len(rows)} rows drawn at random from {total} (--max-rows)")
    else:
        rows = read_csv_rows(args.leads)
    columns = list(rows[0])
    policy = _policy(args)
    scoring = policy.scoring
    explicit = bool(getattr(args, "policy", None)) and bool(scoring.features)
    updates: dict[str, Any] = {}
    if not explicit:
        updates["features"] = []
    if args.time_column:
        if args.time_column not in columns:
            raise DataError(
                f"{args.leads}: no time column {args.time_column!r}; the columns are {columns}"
            )
        updates["time_column"] = args.time_column
    elif scoring.time_column not in columns:
        updates["time_column"] = None
    scoring = scoring.model_copy(update=updates)
    for name, flag in ((args.target, "--target"), (args.id, "--id")):
        if name is not None and name not in columns:
            from sales_operator.scoring.features import closest_hint

            raise DataError(
                f"{args.leads}: {flag} column {name!r} is not in the columns"
                f"{closest_hint([name], columns)}; the columns are {columns}"
            )
    try:
        model = train_tabular(
            rows, scoring, target=args.target, id_column=args.id, exclude=args.exclude or ()
        )
    except DataError as err:
        raise type(err)(f"{args.leads}: {err}", **_extra(err)) from err
    out = model.save(args.out)
    card = model.card
    m = card.metrics
    _say(f"model saved to {out} ({card.engine}, {card.version})")
    _say(
        f"rows: {card.rows.get('total')} ({card.rows.get('positives')} positive); "
        f"split: {card.split}; features: {len(card.features)}"
    )
    if card.engine == "xgboost":
        _say(
            f"test ROC AUC {_f(m.get('roc_auc'))}, Brier {_f(m.get('brier'))}, "
            f"ECE {_f(m.get('ece'))} ({card.calibration.get('method')} calibration)"
        )
    _say(card.scored_by)
    if card.leakage.present_and_excluded:
        _say(f"post-outcome columns kept out: {', '.join(card.leakage.present_and_excluded)}")
    return 0


def _extra(err: DataError) -> dict[str, Any]:
    columns = getattr(err, "columns", None)
    return {"columns": columns} if columns is not None else {}


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _load(model_dir: str) -> Any:
    from sales_operator.scoring.tabular import TrainedModel

    path = Path(model_dir)
    if not (path / "card.json").is_file():
        raise DataError(f"{path}: not a model folder (no card.json); train one first")
    return TrainedModel.load(path)


def cmd_score(args: argparse.Namespace) -> int:
    """Score a CSV or Parquet file of leads chunk by chunk; write one row per lead to `--out`."""
    from sales_operator.scoring.batch import score_file, stderr_progress

    model = _load(args.model)
    summary = score_file(
        model,
        args.leads,
        args.out,
        chunk_rows=args.chunk_rows,
        progress=None if args.quiet else stderr_progress,
    )
    bands = ", ".join(f"{b} {summary.bands[b]}" for b in sorted(summary.bands))
    _say(f"scored {summary.rows} leads with {model.version} ({model.engine}) -> {summary.out}")
    _say(f"bands: {bands}")
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    """Compare a CSV of recent leads with a model's training window (PSI per feature)."""
    from sales_operator.scoring.batch import check_columns
    from sales_operator.scoring.drift import psi_report

    model = _load(args.model)
    rows = read_csv_rows(args.leads)
    check_columns(model, list(rows[0]), args.leads)
    report = psi_report(model, rows)
    if args.json:
        _say(json.dumps(report.model_dump(), indent=2))
        return 0
    _say(f"{report.rows} leads against {report.model_version}'s training window")
    _say("      PSI  by chance  feature")
    for f in report.features:
        flag = "  SHIFTED" if f.shifted else ""
        _say(f"  {f.psi:7.3f}  {f.noise:9.3f}  {f.feature}{flag}")
    if report.shifted:
        _say(
            f"shifted (PSI above chance by more than {report.threshold}): "
            f"{', '.join(report.shifted)}",
            file=sys.stderr,
        )
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    """Show, refresh or roll back the operator's model in the working folder."""
    from sales_operator.scoring.registry import RegistryScorer, utc_now
    from sales_operator.workspace.cli import deps_for

    deps = deps_for(args, offline=True)
    scorer = deps.get_scorer()
    if not isinstance(scorer, RegistryScorer):  # a user-supplied scorer has no registry
        raise DataError("this working folder's scorer has no model registry")
    if args.action == "refresh":
        if args.force:
            result = scorer.retrain(deps.crm, reason="forced by `model refresh --force`")
        else:
            result = scorer.refresh(deps.crm, now=utc_now())
        _say(f"{result.action}: {result.version} ({result.reason})")
    elif args.action == "rollback":
        _say(f"rolled back: {scorer.rollback()} scores again")
    card = scorer.card
    _say(
        f"current: {scorer.version} ({scorer.engine})" + (f"; {scorer.note}" if scorer.note else "")
    )
    if card is not None:
        figures = ", ".join(
            f"{k} {v:.3f}" for k, v in sorted(card.metrics.items()) if v is not None
        )
        counts = ", ".join(f"{k} {v}" for k, v in card.rows.items())
        _say(f"trained {card.trained_at} ({counts}); {figures}")
        if card.scored_by:
            _say(f"why: {card.scored_by}")
    _say(f"history: {' -> '.join(scorer.registry.history()) or '(none)'}")
    _say(f"outcomes learned: {len(scorer.registry.outcomes())}")
    report = scorer.drift()
    if card is None:
        _say("drift: not checked (the rules model has no training window)")
    elif report is None:
        _say(
            f"drift: not checked (fewer than {scorer.policy.scoring.drift_min_rows} closed "
            "deals learned since this version)"
        )
    else:
        worst = ", ".join(f"{f.feature} {f.psi:.2f}" for f in report.features[:3])
        _say(f"drift over {report.rows} deals: shifted {report.shifted or 'none'}; top PSI {worst}")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from err
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the `sales-operator` parser.

    Args:
        sub: The parser's subparsers action.
        common: The parent parser with `--workdir`, `--policy`, `--offline`, `--reviewer`.
    """
    p = sub.add_parser(
        "train", parents=[common], help="train a conversion model on a CSV of lead history"
    )
    p.add_argument(
        "--leads", required=True, help="CSV or Parquet of leads or closed deals with outcomes"
    )
    p.add_argument("--target", required=True, help="the outcome column (won/lost, 1/0, yes/no)")
    p.add_argument("--id", help="the row id column (never a feature)")
    p.add_argument("--out", required=True, help="folder to write the model to")
    p.add_argument(
        "--exclude", action="append", default=[], metavar="COLUMN", help="a column not to use"
    )
    p.add_argument("--time-column", help="order the split by this date column")
    p.add_argument(
        "--max-rows",
        type=_positive,
        metavar="N",
        help="train on N rows drawn at random (in file order) from a file too large to hold",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "score", parents=[common], help="score a CSV or Parquet file of leads with a saved model"
    )
    p.add_argument("--model", required=True, help="a folder written by `train`")
    p.add_argument(
        "--leads", required=True, help="CSV or Parquet (.parquet) of leads with the model's columns"
    )
    p.add_argument("--out", required=True, help="scores to write: CSV, or Parquet by extension")
    p.add_argument(
        "--chunk-rows",
        type=_positive,
        default=CHUNK_ROWS,
        metavar="N",
        help=f"rows read, scored and written at a time (default {CHUNK_ROWS:,})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line per chunk on stderr")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser(
        "drift", parents=[common], help="population stability of recent leads per feature"
    )
    p.add_argument("--model", required=True, help="a folder written by `train`")
    p.add_argument("--leads", required=True, help="CSV or Parquet of recent leads")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser(
        "model",
        parents=[common],
        help="status, scheduled refresh or rollback of the operator's model",
    )
    p.add_argument("action", choices=["status", "refresh", "rollback"])
    p.add_argument("--force", action="store_true", help="refresh: retrain now, due or not")
    p.set_defaults(func=cmd_model)

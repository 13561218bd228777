"""`sales-operator` subcommands of the scoring area (registered by `sales_operator.cli`).

```text
sales-operator train --leads CSV --target COLUMN --out MODEL_DIR [--id COLUMN]
                     [--exclude COLUMN ...] [--time-column COLUMN] [--policy FILE]
sales-operator score --model MODEL_DIR --leads CSV --out CSV
sales-operator drift --model MODEL_DIR --leads CSV
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
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from sales_operator.errors import DataError
from sales_operator.escaping import csv_cell


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Read a CSV file into rows of strings.

    Raises:
        DataError: when the file is missing, not UTF-8, empty, or has no data rows.
    """
    p = Path(path)
    try:
        text = p.read_text("utf-8-sig")
    except FileNotFoundError as err:
        raise DataError(f"no such CSV file: {p}") from err
    except UnicodeDecodeError as err:
        raise DataError(f"{p}: not UTF-8 text") from err
    if not text.strip():
        raise DataError(f"{p}: the file is empty")
    # Not `splitlines()`: a quoted cell may hold a line break (or U+2028) of its own.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[dict[str, str]] = []
    last_line: list[int] = []
    for r in reader:
        rows.append(dict(r))
        last_line.append(reader.line_num)
    header = reader.fieldnames or []
    if not rows:
        raise DataError(f"{p}: a header ({len(header)} columns) but no data rows")
    blank = [i for i, name in enumerate(header) if not (name or "").strip()]
    if blank:
        raise DataError(f"{p}: header column(s) {blank} have no name")
    for i, row in enumerate(rows):
        if None in row:
            raise DataError(f"{p}: CSV line {last_line[i]} has more fields than the header")
    return rows


def _say(text: str, *, file: Any = None) -> None:
    """Write one line of command output (stdout unless `file` is given)."""
    (file or sys.stdout).write(f"{text}\n")


def _policy(args: argparse.Namespace) -> Any:
    from sales_operator.policy import default_policy, load_policy

    return load_policy(args.policy) if getattr(args, "policy", None) else default_policy()


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model on a CSV of leads or closed deals and save it to `--out`."""
    from sales_operator.scoring.tabular import train_tabular

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


def _check_columns(model: Any, rows: list[dict[str, str]], source: str) -> None:
    if model.encoder is None:
        return
    have = set(rows[0])
    lacking = [n for n in model.encoder.names if n not in have]
    if lacking:
        from sales_operator.scoring.features import closest_hint

        raise DataError(
            f"{source}: the leads lack the model's column(s) {lacking}"
            f"{closest_hint(lacking, have - set(model.encoder.names))}; "
            f"model {model.version} was trained on {model.encoder.names}"
        )


def format_factors(factors: list[Any]) -> str:
    """Join factors as "words: +9 pts; words: -3 pts"."""
    return "; ".join(f"{f.label}: {f.points:+.0f} pts" for f in factors)


def cmd_score(args: argparse.Namespace) -> int:
    """Score a CSV of leads with a saved model; write one row per lead to `--out`."""
    model = _load(args.model)
    rows = read_csv_rows(args.leads)
    _check_columns(model, rows, args.leads)
    try:
        results = model.score(rows)
    except DataError as err:
        raise DataError(f"{args.leads}: {err} (row 0 is CSV line 2)") from err
    id_column = model.card.id_column
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "probability", "band", "percentile", "top_factors"])
        for i, (row, r) in enumerate(zip(rows, results, strict=True)):
            row_id = row.get(id_column) if id_column and id_column in row else str(i + 1)
            pct = "" if r.percentile is None else f"{r.percentile:.1f}"
            cells = [row_id, f"{r.probability:.4f}", r.band, pct, format_factors(r.factors)]
            writer.writerow([csv_cell(c) for c in cells])  # no formula reaches a spreadsheet
    bands: dict[str, int] = {}
    for r in results:
        bands[r.band] = bands.get(r.band, 0) + 1
    summary = ", ".join(f"{b} {bands[b]}" for b in sorted(bands))
    _say(f"scored {len(results)} leads with {model.version} ({model.engine}) -> {out}")
    _say(f"bands: {summary}")
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    """Compare a CSV of recent leads with a model's training window (PSI per feature)."""
    from sales_operator.scoring.drift import psi_report

    model = _load(args.model)
    rows = read_csv_rows(args.leads)
    _check_columns(model, rows, args.leads)
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


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the `sales-operator` parser.

    Args:
        sub: The parser's subparsers action.
        common: The parent parser with `--workdir`, `--policy`, `--offline`, `--reviewer`.
    """
    p = sub.add_parser(
        "train", parents=[common], help="train a conversion model on a CSV of lead history"
    )
    p.add_argument("--leads", required=True, help="CSV of leads or closed deals with outcomes")
    p.add_argument("--target", required=True, help="the outcome column (won/lost, 1/0, yes/no)")
    p.add_argument("--id", help="the row id column (never a feature)")
    p.add_argument("--out", required=True, help="folder to write the model to")
    p.add_argument(
        "--exclude", action="append", default=[], metavar="COLUMN", help="a column not to use"
    )
    p.add_argument("--time-column", help="order the split by this date column")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("score", parents=[common], help="score a CSV of leads with a saved model")
    p.add_argument("--model", required=True, help="a folder written by `train`")
    p.add_argument("--leads", required=True, help="CSV of leads with the model's columns")
    p.add_argument("--out", required=True, help="CSV to write")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser(
        "drift", parents=[common], help="population stability of recent leads per feature"
    )
    p.add_argument("--model", required=True, help="a folder written by `train`")
    p.add_argument("--leads", required=True, help="CSV of recent leads")
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

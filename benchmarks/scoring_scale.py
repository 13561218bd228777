"""Benchmark: batch scoring at scale, peak memory and throughput against raw XGBoost.

Trains the model the `scoring` benchmark trains (X Education `Leads.csv` when
`--data`/`xeducation_leads/Leads.csv` exists; else the bundled closed deals), then writes
`--scale-rows` synthetic rows (default 1,000,000) with the same columns: source rows drawn
at random with replacement (seeded), each with a fresh id. Each measurement then runs in a
fresh child process, which reports its own peak RSS (`resource.getrusage`) and wall time:

- `stream`: `score_file()` on the CSV, chunk by chunk, writing a CSV (what
  `sales-operator score` does); and `stream-parquet` the same from and to Parquet;
- `raw`: plain XGBoost on the same encoded rows, chunk by chunk: `booster.predict` plus
  `booster.predict(pred_contribs=True)` on a DMatrix built beforehand (only these two calls
  are timed: no reading, encoding, calibration or words), the baseline of the ratio;
- `floor`: importing the library and loading the model, nothing scored (the RSS floor);
- `whole` (only with `--whole`): the code before chunking (read the whole CSV, `score()` every
  row, then write), for the before/after comparison. It needs several GB at a million rows.

The ratio is streamed rows/s over raw rows/s; the memory target is a peak of at most 1 GiB.

    python -m benchmarks.run --only scoring_scale [--scale-rows 1000000] [--chunk-rows 20000]
                             [--whole] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import write_result

GIB = 1024**3


def synthesize(
    rows: list[dict[str, Any]], n: int, path: Path, id_column: str | None, seed: int = 11
) -> Path:
    """Write `n` rows drawn from `rows` at random (with replacement) to a CSV at `path`."""
    columns = list(rows[0])
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        block = 50_000
        for start in range(0, n, block):
            picks = rng.integers(0, len(rows), size=min(block, n - start)).tolist()
            out = []
            for k, j in enumerate(picks):
                values = [rows[j].get(c, "") for c in columns]
                if id_column is not None:
                    values[columns.index(id_column)] = f"S-{start + k + 1:07d}"
                out.append(values)
            writer.writerows(out)
    return path


def to_parquet(csv_path: Path, path: Path) -> Path:
    """Convert the synthetic CSV to Parquet (every column as text, as the CSV reads)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with csv_path.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header}, strings_can_be_null=False
    )
    reader = pacsv.open_csv(str(csv_path), convert_options=convert)
    with pq.ParquetWriter(str(path), reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return path


# --------------------------------------------------------------------------- children


def _peak_rss() -> int:
    """Return this process's peak resident set size in bytes (Linux reports KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale


def _child(mode: str, model_dir: str, leads: str, out: str, chunk_rows: int) -> dict[str, Any]:
    from sales_operator.scoring.tabular import TrainedModel

    model = TrainedModel.load(model_dir)
    t0 = time.perf_counter()
    timed = 0.0
    rows = 0
    if mode in ("stream", "stream-parquet"):
        from sales_operator.scoring.batch import score_file

        summary = score_file(model, leads, out, chunk_rows=chunk_rows)
        rows = summary.rows
        timed = time.perf_counter() - t0
    elif mode == "whole":
        rows, timed = _whole(model, leads, out)
    elif mode == "raw":
        import xgboost as xgb

        from sales_operator.scoring.batch import iter_chunks

        assert model.encoder is not None and model.booster is not None
        for chunk in iter_chunks(leads, chunk_rows=chunk_rows):
            x = model.encoder.encode(chunk.rows)
            dm = xgb.DMatrix(x, missing=np.nan, feature_names=model.encoder.columns)
            t = time.perf_counter()
            model.booster.predict(dm)
            model.booster.predict(dm, pred_contribs=True)
            timed += time.perf_counter() - t
            rows += len(chunk.rows)
    elif mode != "floor":
        raise SystemExit(f"unknown mode {mode!r}")
    return {
        "mode": mode,
        "rows": rows,
        "seconds": round(timed, 3),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "rows_per_s": round(rows / timed, 1) if timed else None,
        "peak_rss_bytes": _peak_rss(),
    }


def _whole(model: Any, leads: str, out: str) -> tuple[int, float]:
    """Score the way `sales-operator score` did before chunking: all rows at once."""
    from sales_operator.escaping import csv_cell
    from sales_operator.scoring.cli import format_factors, read_csv_rows

    t0 = time.perf_counter()
    rows = read_csv_rows(leads)
    results = model.score(rows)
    id_column = model.card.id_column
    with Path(out).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "probability", "band", "percentile", "top_factors"])
        for i, (row, r) in enumerate(zip(rows, results, strict=True)):
            row_id = row.get(id_column) if id_column and id_column in row else str(i + 1)
            pct = "" if r.percentile is None else f"{r.percentile:.1f}"
            cells = [row_id, f"{r.probability:.4f}", r.band, pct, format_factors(r.factors)]
            writer.writerow([csv_cell(c) for c in cells])
    return len(rows), time.perf_counter() - t0


def _measure(mode: str, model_dir: Path, leads: Path, out: Path, chunk_rows: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.scoring_scale", "--child", mode]
    cmd += ["--model", str(model_dir), "--leads", str(leads), "--to", str(out)]
    cmd += ["--chunk-rows", str(chunk_rows)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_rss_mib"] = round(result["peak_rss_bytes"] / 2**20, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; write `<out>/scoring_scale.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--data", default=None, help="shared data folder (../shared/data)")
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=None, help="default: score_file's")
    parser.add_argument("--whole", action="store_true", help="also time the pre-chunking code")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--leads", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--to", default=None, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)
    from sales_operator.scoring.batch import CHUNK_ROWS

    chunk_rows = args.chunk_rows or CHUNK_ROWS
    if args.child:
        print(json.dumps(_child(args.child, args.model, args.leads, args.to, chunk_rows)))
        return 0

    import xgboost as xgb

    from benchmarks.scoring import _batch_model

    data_dir = Path(args.data) if args.data else Path(__file__).resolve().parents[2] / "shared/data"
    source, model, rows = _batch_model(data_dir)
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="scoring-scale-") as tmp:
        folder = Path(tmp)
        model_dir = model.save(folder / "model")
        t = time.perf_counter()
        leads = synthesize(rows, args.scale_rows, folder / "leads.csv", model.card.id_column)
        made = {"csv_seconds": round(time.perf_counter() - t, 1)}
        made["csv_bytes"] = leads.stat().st_size
        modes = ["floor", "raw", "stream"]
        try:
            t = time.perf_counter()
            parquet = to_parquet(leads, folder / "leads.parquet")
            made["parquet_seconds"] = round(time.perf_counter() - t, 1)
            made["parquet_bytes"] = parquet.stat().st_size
            modes.append("stream-parquet")
        except ImportError:
            parquet = None
        if args.whole:
            modes.append("whole")
        for mode in modes:
            src = parquet if mode == "stream-parquet" and parquet else leads
            ext = "parquet" if mode == "stream-parquet" else "csv"
            print(f"   {mode} ...", file=sys.stderr)
            runs[mode] = _measure(mode, model_dir, src, folder / f"scores-{mode}.{ext}", chunk_rows)
    raw = runs["raw"]["rows_per_s"]
    result: dict[str, Any] = {
        "benchmark": "scoring_scale",
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "model_trained_on": source,
        "rows": args.scale_rows,
        "chunk_rows": chunk_rows,
        "encoded_columns": len(model.encoder.columns) if model.encoder else 0,
        "input": made,
        "target_peak_rss_mib": 1024,
        "runs": runs,
        "ratio_stream_to_raw": round(runs["stream"]["rows_per_s"] / raw, 3),
    }
    if "stream-parquet" in runs:
        result["ratio_stream_parquet_to_raw"] = round(runs["stream-parquet"]["rows_per_s"] / raw, 3)
    written = write_result(args.out, "scoring_scale", result)
    for mode, r in runs.items():
        rate = f"{r['rows_per_s']:.0f} rows/s" if r["rows_per_s"] else "-"
        print(f"{mode:15s} peak RSS {r['peak_rss_mib']:8.1f} MiB  {rate}  ({r['seconds']} s)")
    print(
        f"{args.scale_rows} rows: streamed CSV scoring {runs['stream']['rows_per_s']:.0f} rows/s "
        f"vs raw predict+pred_contribs {raw:.0f} rows/s: ratio {result['ratio_stream_to_raw']}"
    )
    print(f"wrote {written}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Batch scoring of large files: CSV or Parquet in, chunk by chunk, CSV or Parquet out.

`score_file()` is what `sales-operator score` runs. It reads the leads a chunk at a time
(`iter_chunks`: the standard library's CSV reader, or pyarrow's Parquet reader one record
batch at a time), scores each chunk with `TrainedModel.score()` (the same encoding,
calibration, percentiles and factors as scoring the whole file at once: every score
depends on its own row only), and appends the results to a temporary file beside `out`,
renamed over `out` only once every row has been scored. Memory stays flat in the number of
rows: about one chunk of rows and results at a time.

A bad value stops the run with a `DataError` naming the file, the row (and for CSV, the
line) and the column; the temporary file is removed and `out` is left as it was.

Parquet needs the `parquet` extra (`pip install "sales-operator[parquet]"`, pyarrow).
Files are told apart by extension: `.parquet` or `.pq` is Parquet, anything else CSV.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sales_operator.errors import DataError

CHUNK_ROWS = 20_000
"""Rows read, scored and written at a time."""

PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
"""File extensions read and written as Parquet."""

SCORE_COLUMNS = ("id", "probability", "band", "percentile", "top_factors")
"""The columns of a scores file."""


def is_parquet(path: str | Path) -> bool:
    """Return whether `path` names a Parquet file (by its extension)."""
    return Path(path).suffix.casefold() in PARQUET_SUFFIXES


def _pyarrow(path: Path) -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet  # noqa: F401  (loads the submodule)
    except ImportError as err:
        raise DataError(
            f"{path}: reading or writing Parquet needs pyarrow: "
            'pip install "sales-operator[parquet]"'
        ) from err
    return pa


@dataclass
class Chunk:
    """Consecutive rows of a file."""

    start: int
    """Index (0-based) of the chunk's first row among the file's data rows."""
    rows: list[dict[str, Any]]
    """The rows: column to value (strings from a CSV, typed values from Parquet)."""
    lines: list[int] | None = None
    """CSV line each row ends on (the header is line 1); None for Parquet."""
    source: str = ""
    """The file it came from."""
    header: list[str] = field(default_factory=list)
    """Every column the file has (the rows may hold only those asked for)."""

    def where(self, i: int) -> str:
        """Name row `i` of the chunk: its 0-based data row in the file and its CSV line."""
        row = f"row {self.start + i}"
        return f"{row} (CSV line {self.lines[i]})" if self.lines is not None else row


def iter_chunks(
    path: str | Path, *, chunk_rows: int = CHUNK_ROWS, columns: Sequence[str] | None = None
) -> Iterator[Chunk]:
    """Yield the data rows of a CSV or Parquet file, `chunk_rows` at a time.

    Args:
        path: A CSV file (UTF-8, a header line) or a Parquet file (`.parquet`, `.pq`).
        chunk_rows: Rows per chunk.
        columns: Read just these columns (those the file has); None reads every column.

    Raises:
        DataError: naming the file (and line) when it is missing, unreadable, empty, has a
            header with a blank name, or a CSV line with more fields than the header.
    """
    if chunk_rows < 1:
        raise DataError(f"chunk_rows must be at least 1, got {chunk_rows}")
    p = Path(path)
    if is_parquet(p):
        yield from _parquet_chunks(p, chunk_rows, columns)
    else:
        yield from _csv_chunks(p, chunk_rows, columns)


def _csv_chunks(p: Path, chunk_rows: int, columns: Sequence[str] | None) -> Iterator[Chunk]:
    try:
        fh = p.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError as err:
        raise DataError(f"no such CSV file: {p}") from err
    except OSError as err:
        raise DataError(f"{p}: cannot read: {err}") from err
    with fh:
        # Not line by line: a quoted cell may hold a line break (or U+2028) of its own.
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            while header is not None and not any(h.strip() for h in header):
                header = next(reader, None)  # blank lines before the header
            if header is None:
                raise DataError(f"{p}: the file is empty")
            blank = [i for i, name in enumerate(header) if not name.strip()]
            if blank:
                raise DataError(f"{p}: header column(s) {blank} have no name")
            width = len(header)
            keep = set(header if columns is None else columns)
            kept = [(k, name) for k, name in enumerate(header) if name in keep]
            start = 0
            rows: list[dict[str, Any]] = []
            lines: list[int] = []
            for values in reader:
                if not values:
                    continue  # a blank line, as csv.DictReader skips it
                if len(values) > width:
                    raise DataError(
                        f"{p}: CSV line {reader.line_num} has more fields than the header"
                    )
                if len(values) == width:
                    rows.append({name: values[k] for k, name in kept})
                else:  # a short line: the missing cells are blank
                    n = len(values)
                    rows.append({name: values[k] if k < n else None for k, name in kept})
                lines.append(reader.line_num)
                if len(rows) == chunk_rows:
                    yield Chunk(start, rows, lines, str(p), header)
                    start += len(rows)
                    rows, lines = [], []
        except UnicodeDecodeError as err:
            raise DataError(f"{p}: not UTF-8 text (after CSV line {reader.line_num})") from err
        except csv.Error as err:
            raise DataError(f"{p}: CSV line {reader.line_num}: {err}") from err
        if rows:
            yield Chunk(start, rows, lines, str(p), header)
        elif start == 0:
            raise DataError(f"{p}: a header ({width} columns) but no data rows")


def _parquet_chunks(p: Path, chunk_rows: int, columns: Sequence[str] | None) -> Iterator[Chunk]:
    pa = _pyarrow(p)
    if not p.is_file():
        raise DataError(f"no such Parquet file: {p}")
    try:
        pf = pa.parquet.ParquetFile(str(p))
        names = list(pf.schema_arrow.names)
        wanted = None if columns is None else [c for c in names if c in set(columns)]
        start = 0
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
            rows = batch.to_pylist()
            if rows:
                yield Chunk(start, rows, None, str(p), names)
                start += len(rows)
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{p}: not a readable Parquet file: {err}") from err
    if start == 0:
        raise DataError(f"{p}: a schema ({len(names)} columns) but no data rows")


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a whole CSV or Parquet file into rows (for training and drift, not scoring).

    Raises:
        DataError: as `iter_chunks` does.
    """
    rows: list[dict[str, Any]] = []
    for chunk in iter_chunks(path, chunk_rows=100_000):
        rows.extend(chunk.rows)
    return rows


def sample_rows(path: str | Path, n: int, *, seed: int = 7) -> tuple[list[dict[str, Any]], int]:
    """Draw `n` rows of a CSV or Parquet file uniformly at random, in file order.

    One pass with a reservoir (Vitter's algorithm R), so memory holds `n` rows and one chunk
    however large the file; the rows come back in the file's order, so a split in time
    still sees them in time.

    Returns:
        The sampled rows (all of them when the file has at most `n`) and the file's row count.

    Raises:
        DataError: as `iter_chunks` does, or when `n` is below 1.
    """
    import random

    if n < 1:
        raise DataError(f"the sample size must be at least 1, got {n}")
    rng = random.Random(seed)
    kept: list[tuple[int, dict[str, Any]]] = []
    seen = 0
    for chunk in iter_chunks(path):
        for row in chunk.rows:
            if seen < n:
                kept.append((seen, row))
            else:
                j = rng.randrange(seen + 1)
                if j < n:
                    kept[j] = (seen, row)
            seen += 1
    kept.sort(key=lambda item: item[0])
    return [row for _, row in kept], seen


class _Model(Protocol):
    card: Any
    encoder: Any
    version: str
    engine: str

    def score(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]: ...


def check_columns(model: _Model, columns: Sequence[str], source: str) -> None:
    """Refuse input that lacks a column the model was trained on.

    Raises:
        DataError: naming the missing columns, the closest names the file has, and the model.
    """
    if model.encoder is None:
        return
    have = set(columns)
    lacking = [n for n in model.encoder.names if n not in have]
    if lacking:
        from sales_operator.scoring.features import closest_hint

        raise DataError(
            f"{source}: the leads lack the model's column(s) {lacking}"
            f"{closest_hint(lacking, have - set(model.encoder.names))}; "
            f"model {model.version} was trained on {model.encoder.names}"
        )


def format_factors(factors: Sequence[Any]) -> str:
    """Join factors as "words: +9 pts; words: -3 pts"."""
    return "; ".join(f"{f.label}: {f.points:+.0f} pts" for f in factors)


class _Writer(Protocol):
    def write(self, records: list[tuple[str, float, str, float | None, str]]) -> None: ...

    def close(self) -> None: ...


class _CsvWriter:
    def __init__(self, path: Path) -> None:
        from sales_operator.escaping import csv_cell

        self._cell = csv_cell
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(SCORE_COLUMNS)

    def write(self, records: list[tuple[str, float, str, float | None, str]]) -> None:
        cell = self._cell
        self._csv.writerows(
            # No formula reaches a spreadsheet: ids and factor words are escaped.
            [
                cell(row_id),
                f"{p:.4f}",
                band,
                "" if pct is None else f"{pct:.1f}",
                cell(factors),
            ]
            for row_id, p, band, pct, factors in records
        )

    def close(self) -> None:
        self._fh.close()


class _ParquetWriter:
    def __init__(self, path: Path) -> None:
        pa = _pyarrow(path)
        self._pa = pa
        self._schema = pa.schema(
            [
                ("id", pa.string()),
                ("probability", pa.float64()),
                ("band", pa.string()),
                ("percentile", pa.float64()),
                ("top_factors", pa.string()),
            ]
        )
        self._writer = pa.parquet.ParquetWriter(str(path), self._schema)

    def write(self, records: list[tuple[str, float, str, float | None, str]]) -> None:
        cols = list(zip(*records, strict=True)) if records else [()] * len(SCORE_COLUMNS)
        table = self._pa.Table.from_arrays(
            [self._pa.array(list(c), type=f.type) for c, f in zip(cols, self._schema, strict=True)],
            schema=self._schema,
        )
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


@dataclass
class ScoreSummary:
    """What `score_file` scored."""

    rows: int
    """Rows scored."""
    bands: Counter[str] = field(default_factory=Counter)
    """Rows per band."""
    out: Path = Path()
    """The scores file written."""


def _records(
    model: _Model, chunk: Chunk, results: Sequence[Any]
) -> list[tuple[str, float, str, float | None, str]]:
    id_column = model.card.id_column
    out = []
    for i, (row, r) in enumerate(zip(chunk.rows, results, strict=True)):
        if id_column and id_column in row:
            value = row.get(id_column)
            row_id = "" if value is None else str(value)
        else:
            row_id = str(chunk.start + i + 1)
        out.append((row_id, r.probability, r.band, r.percentile, format_factors(r.factors)))
    return out


def _score_chunk(model: _Model, chunk: Chunk) -> list[Any]:
    try:
        return model.score(chunk.rows)
    except DataError as err:
        row = getattr(err, "row", None)
        if not isinstance(row, int) or not 0 <= row < len(chunk.rows):
            raise DataError(f"{chunk.source}: {err}") from err
        detail = str(err).removeprefix(f"row {row}: ")
        raise DataError(
            f"{chunk.source}: {chunk.where(row)}: {detail}",
            row=chunk.start + row,
            column=getattr(err, "column", None),
        ) from err


Progress = Callable[[int, float | None], None]
"""Called after each chunk with the rows scored so far and the share done (None: unknown)."""


def stderr_progress(rows: int, done: float | None) -> None:
    """Write one progress line to stderr (the CLI's progress per chunk)."""
    share = "" if done is None else f" ({100 * done:.0f} %)"
    sys.stderr.write(f"scored {rows:,} rows{share}\n")
    sys.stderr.flush()


def score_file(
    model: _Model,
    leads: str | Path,
    out: str | Path,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> ScoreSummary:
    """Score a CSV or Parquet file of leads chunk by chunk; write CSV or Parquet (by extension).

    Every input row gets one output row (`id`, `probability`, `band`, `percentile`,
    `top_factors`), in input order; the id is the model's `id_column` value, else the
    1-based row number. Output is written to a temporary file beside `out` and renamed
    over it at the end, so `out` never holds part of a run.

    Args:
        model: A `TrainedModel` (XGBoost or the rules model).
        leads: CSV or Parquet file with the model's columns.
        out: Scores file to write; `.parquet`/`.pq` writes Parquet, anything else CSV.
        chunk_rows: Rows read, scored and written at a time.
        progress: Called after each chunk (see `Progress`).

    Raises:
        DataError: naming the file, row (CSV line) and column of a bad value, or what is
            wrong with the file; nothing is written to `out` then.
    """
    src, dest = Path(leads), Path(out)
    if src.resolve() == dest.resolve():
        raise DataError(f"{dest}: the scores file would overwrite the leads it scores")
    wanted = None
    if model.encoder is not None:
        wanted = [*model.encoder.names, *([model.card.id_column] if model.card.id_column else [])]
    total = _total(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    summary = ScoreSummary(rows=0, out=dest)
    writer: _Writer | None = None
    try:
        for chunk in iter_chunks(src, chunk_rows=chunk_rows, columns=wanted):
            if writer is None:
                check_columns(model, chunk.header, str(src))
                writer = _ParquetWriter(tmp) if is_parquet(dest) else _CsvWriter(tmp)
            results = _score_chunk(model, chunk)
            writer.write(_records(model, chunk, results))
            summary.rows += len(results)
            summary.bands.update(r.band for r in results)
            if progress is not None:
                done = total(chunk) if total is not None else None
                progress(summary.rows, done)
        assert writer is not None  # iter_chunks raises on a file without rows
        writer.close()
        writer = None
        os.replace(tmp, dest)
    except OSError as err:  # a full disk, a folder named like the output, no permission
        raise DataError(f"{dest}: cannot write the scores: {err}") from err
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return summary


def _total(src: Path) -> Callable[[Chunk], float] | None:
    """Return how to tell the share of `src` done after a chunk (None when it cannot be told).

    Parquet knows its row count; for a CSV the share is the chunk's last line over the
    line count estimated from the file's size and its first 64 KiB.
    """
    if is_parquet(src):
        pa = _pyarrow(src)
        try:
            n = int(pa.parquet.ParquetFile(str(src)).metadata.num_rows)
        except (pa.ArrowException, OSError):
            return None  # iter_chunks names what is wrong with the file
        return (lambda c: min(1.0, (c.start + len(c.rows)) / n)) if n else None
    try:
        with src.open("rb") as fh:
            head = fh.read(65536)
        size = src.stat().st_size
    except OSError:
        return None
    lines = max(1.0, size * max(1, head.count(b"\n")) / max(1, len(head)))

    def share(c: Chunk) -> float:
        return min(1.0, (c.lines[-1] if c.lines else 0) / lines)

    return share

"""Has the mix of leads shifted since the model was trained? Population stability per feature.

At training time `reference_bins()` keeps, for every feature, the share of training-window
rows in each bin (deciles of a number, each category or tag, and "missing"). `psi_report()`
bins recent leads the same way and computes the population stability index

    PSI = sum over bins of (recent share - training share) * ln(recent share / training share)

per feature (date features are skipped: recent leads have recent dates by construction).
By the usual rule of thumb below 0.1 is stable, 0.1-0.25 a moderate shift, and
above `policy.scoring.drift_psi` (0.25) a shifted mix worth a retrain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from sales_operator.errors import DataError

if TYPE_CHECKING:
    from sales_operator.scoring.tabular import Encoder, TrainedModel

FloatArray = npt.NDArray[np.float64]

QUANTILES = 10
"""Bins of a numeric feature (deciles of the training window)."""

EPSILON = 1e-4
"""Share given to an empty bin so that the logarithm stays finite."""


def _numeric_shares(values: FloatArray, edges: Sequence[float]) -> list[float]:
    n = len(values)
    nan = np.isnan(values)
    shares = [0.0] * (len(edges) + 2)
    if n:
        index = np.searchsorted(np.asarray(edges), values[~nan], side="right")
        counts = np.bincount(index, minlength=len(edges) + 1)
        shares = [float(c) / n for c in counts] + [float(nan.sum()) / n]
    return shares


def _block_shares(block: FloatArray) -> list[float]:
    n = len(block)
    if not n:
        return [0.0] * (block.shape[1] + 1)
    present = block.sum(axis=0)
    none = float((block.sum(axis=1) == 0).sum())
    total = float(present.sum()) + none
    return [float(c) / total for c in present] + [none / total]


def reference_bins(encoder: Encoder, x: FloatArray) -> dict[str, Any]:
    """Return each feature's bins and training-window shares (stored with the model)."""
    out: dict[str, Any] = {}
    for f, start in zip(encoder.features, encoder.offsets, strict=True):
        if f.kind == "date":
            continue  # later leads have later dates by construction: not a shifted mix
        block = x[:, start : start + len(f.columns)]
        if f.kind in ("numeric", "boolean"):
            values = block[:, 0]
            finite = values[~np.isnan(values)]
            edges: list[float] = []
            if len(finite):
                qs = np.quantile(finite, np.linspace(0, 1, QUANTILES + 1)[1:-1])
                edges = sorted({float(q) for q in qs})
            out[f.name] = {
                "edges": edges,
                "shares": _numeric_shares(values, edges),
                "rows": len(values),
            }
        else:
            out[f.name] = {"columns": f.columns, "shares": _block_shares(block), "rows": len(x)}
    return out


def sampling_psi(bins: int, rows: int, reference_rows: int | None = None) -> float:
    """Return the PSI two samples of one population show by chance alone (its expectation).

    PSI is a symmetrised chi-square divergence; for samples of `rows` and `reference_rows`
    over `bins` bins its expected value is about `(bins - 1) * (1/rows + 1/reference_rows)`.
    On 30 recent deals and ten bins that is 0.3, more than the usual 0.25 alarm, which is why
    a shift is flagged only when the PSI exceeds this noise by the threshold.
    """
    ref = 1.0 / reference_rows if reference_rows else 0.0
    return (max(bins, 1) - 1) * (1.0 / max(rows, 1) + ref)


def psi(
    expected: Sequence[float],
    actual: Sequence[float],
    *,
    expected_rows: int | None = None,
    actual_rows: int | None = None,
) -> float:
    """Return the population stability index of two share vectors over the same bins.

    With the row counts, each side's shares are smoothed (half a row added to every bin), so
    that one deal in a bin the training window never filled counts as the small evidence it
    is; without them an empty bin gets the share `EPSILON`.
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if expected_rows and actual_rows:
        k = len(e)
        e = (e * expected_rows + 0.5) / (expected_rows + 0.5 * k)
        a = (a * actual_rows + 0.5) / (actual_rows + 0.5 * k)
    e = np.clip(e, EPSILON, None)
    a = np.clip(a, EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


class FeatureDrift(BaseModel):
    """One feature's stability between the training window and recent leads."""

    feature: str
    """The feature (input column)."""
    psi: float
    """Population stability index."""
    noise: float = 0.0
    """The PSI expected by chance for samples of these sizes (`sampling_psi`)."""
    shifted: bool
    """Whether `psi` exceeds the noise by more than the threshold."""


class DriftReport(BaseModel):
    """Population stability of every feature, worst first."""

    model_version: str
    """The model whose training window is the reference."""
    rows: int
    """Recent rows compared."""
    threshold: float
    """PSI above which a feature counts as shifted."""
    features: list[FeatureDrift] = Field(default_factory=list)
    """Each feature, highest PSI first."""

    @property
    def shifted(self) -> list[str]:
        """Return the features whose mix has shifted."""
        return [f.feature for f in self.features if f.shifted]


def psi_report(
    model: TrainedModel, rows: Sequence[Mapping[str, Any]], *, threshold: float | None = None
) -> DriftReport:
    """Compare recent rows with the model's training window, feature by feature.

    Args:
        model: A trained XGBoost model (it carries its training-window bins).
        rows: Recent leads, with the model's feature columns.
        threshold: PSI that flags a shift; `model.scoring.drift_psi` when None.

    Raises:
        DataError: for the rules model, no rows, or a value that does not fit its kind.
    """
    if model.encoder is None or not model.drift_reference:
        raise DataError(f"model {model.version} has no training-window bins to compare with")
    if not rows:
        raise DataError("no recent rows to compare with the training window")
    limit = model.scoring.drift_psi if threshold is None else threshold
    x = model.encoder.encode(rows)
    found = []
    for f, start in zip(model.encoder.features, model.encoder.offsets, strict=True):
        ref = model.drift_reference.get(f.name)
        if ref is None:
            continue
        block = x[:, start : start + len(f.columns)]
        if "edges" in ref:
            actual = _numeric_shares(block[:, 0], ref["edges"])
        else:
            actual = _block_shares(block)
        value = round(
            psi(ref["shares"], actual, expected_rows=ref.get("rows"), actual_rows=len(rows)), 4
        )
        used = sum(1 for e, a in zip(ref["shares"], actual, strict=True) if e > 0 or a > 0)
        noise = round(sampling_psi(used, len(rows), ref.get("rows")), 4)
        found.append(
            FeatureDrift(feature=f.name, psi=value, noise=noise, shifted=value - noise > limit)
        )
    found.sort(key=lambda d: (-d.psi, d.feature))
    return DriftReport(model_version=model.version, rows=len(rows), threshold=limit, features=found)

"""The model registry: versioned scoring models, the current one, rollback, and learning.

```text
models/
├─ v0001/ model.ubj  card.json  model.json     the trees, the model card, encoder + calibrator
├─ v0002/ ...                                  recalibrated from v0001 (card.parent = v0001)
├─ CURRENT                                     the version that scores ("v0002")
├─ history.json                                versions in the order they were promoted
├─ outcomes.jsonl                              closed deals learned since, one per deal id
└─ .lock                                       held by every write (threads and processes)
```

Writes are atomic: a version is saved to a temporary folder and renamed into place, and
`CURRENT` and `history.json` are replaced through a temporary file, all under `.lock`.

`RegistryScorer` is the operator's scorer: it scores with the current version and, when told
of a closed deal (`record_outcome`, called by the scoring pattern on `deal_closed`), keeps the
labelled row; after `scoring.recalibrate_after` new outcomes it refits the calibration on the
deals the trees never saw, after `scoring.retrain_after` (or `refresh()` once the model is
`scoring.retrain_every_days` old) it retrains. Each change is a new version; the previous one
stays for `rollback()`.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel

from sales_operator.errors import DataError
from sales_operator.policy import Policy
from sales_operator.scoring.drift import DriftReport, psi_report
from sales_operator.scoring.tabular import (
    Calibrator,
    Describer,
    ModelCard,
    ScoreResult,
    TrainedModel,
    brier,
    expected_calibration_error,
    parse_target,
    roc_auc,
    to_datetime,
)

if TYPE_CHECKING:
    from sales_operator.adapters.base import CRMReader
    from sales_operator.scoring.model import RulesScorer

CURRENT = "CURRENT"
"""File naming the current version."""

HISTORY = "history.json"
"""File listing the promoted versions, oldest first."""

OUTCOMES = "outcomes.jsonl"
"""File of learned closed-deal rows, one per deal id."""


def _version_name(n: int) -> str:
    return f"v{n:04d}"


class ModelRegistry:
    """Versioned scoring models in one folder, with a current version and rollback."""

    def __init__(self, root: str | Path, *, describer: Describer | None = None) -> None:
        """Open the registry in `root` (created on the first `register`)."""
        self.root = Path(root)
        """The registry folder."""
        self.describer = describer
        """Domain wording for the factors of the models it loads."""
        self._held = threading.local()
        self._cache_lock = threading.Lock()
        self._outcomes: dict[str, dict[str, Any]] = {}
        self._outcomes_read = 0  # bytes of outcomes.jsonl parsed into `_outcomes`
        self._outcomes_lines = 0
        self._outcomes_file: tuple[int, int] | None = None  # (device, inode) parsed

    def versions(self) -> list[str]:
        """Return the saved versions, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and p.name.startswith("v") and (p / "card.json").is_file()
        )

    def current_version(self) -> str | None:
        """Return the version that scores, or None when nothing is registered."""
        path = self.root / CURRENT
        if not path.is_file():
            return None
        name = path.read_text("utf-8").strip()
        return name or None

    def history(self) -> list[str]:
        """Return the promoted versions, oldest first (the last one is current).

        Raises:
            DataError: naming the file when it is not a JSON list.
        """
        path = self.root / HISTORY
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text("utf-8"))
        except ValueError as err:
            raise DataError(f"{path}: unreadable promotion history: {err}") from err
        if not isinstance(data, list):
            raise DataError(f"{path}: the promotion history must be a JSON list of versions")
        return [str(v) for v in data]

    def card(self, version: str) -> ModelCard:
        """Return a version's model card.

        Raises:
            DataError: when the version is not in the registry or its card is unreadable.
        """
        path = self.root / version / "card.json"
        try:
            return ModelCard.model_validate_json(path.read_text("utf-8"))
        except (OSError, ValueError) as err:
            raise DataError(
                f"no readable model card for version {version!r} in {self.root}"
            ) from err

    def load(self, version: str | None = None) -> TrainedModel:
        """Load a version (the current one by default).

        Raises:
            DataError: when there is no such version or its files are unreadable.
        """
        name = version or self.current_version()
        if name is None:
            raise DataError(f"the model registry in {self.root} has no current version")
        if not (self.root / name).is_dir():
            raise DataError(f"version {name!r} is not in the model registry {self.root}")
        return TrainedModel.load(self.root / name, describer=self.describer)

    def load_compatible(self, policy: Policy) -> TrainedModel | None:
        """Load the current version when it uses the features the policy asks for, else None."""
        name = self.current_version()
        if name is None:
            return None
        try:
            card = self.card(name)
        except DataError:
            return None
        if card.engine != "xgboost" or not _same_features(card, policy):
            return None
        return self.load(name)

    def register(self, model: TrainedModel, *, promote: bool = True) -> TrainedModel:
        """Save `model` as the next version and (by default) make it current.

        Under the registry's lock: the version is written to a temporary folder and renamed
        into place, so a reader never sees half a model and two writers never share a name.

        Returns:
            The model, its card now carrying the registry version.
        """
        with self._locked():
            taken = [p.name for p in self.root.iterdir() if p.name.startswith("v")]
            existing = [int(v[1:]) for v in taken if v[1:].isdigit()]
            name = _version_name(max(existing, default=0) + 1)
            model.card = model.card.model_copy(update={"version": name})
            tmp = self.root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
            try:
                model.save(tmp)
                os.rename(tmp, self.root / name)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            if promote:
                self._promote(name)
        return model

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the registry's lock (threads of this process and other processes).

        Re-entrant within a thread: a learning step holds it across reading the counter,
        refitting and registering, so of several processes exactly one acts on each count.
        """
        from sales_operator.adapters.outbox import file_lock

        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.root / ".lock"):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    _locked = locked

    def _write(self, name: str, text: str) -> None:
        """Replace one registry file atomically (temporary file, fsync, rename)."""
        target = self.root / name
        tmp = self.root / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def promote(self, version: str) -> None:
        """Make `version` the one that scores.

        Raises:
            DataError: when the version is not in the registry.
        """
        with self._locked():
            self._promote(version)

    def _promote(self, version: str) -> None:
        if version not in self.versions():
            raise DataError(f"cannot promote {version!r}: not in the model registry {self.root}")
        history = [*self.history(), version]
        self._write(HISTORY, json.dumps(history) + "\n")
        self._write(CURRENT, version + "\n")

    def rollback(self) -> str:
        """Make the previously promoted version current again; return it.

        Raises:
            DataError: when no earlier version was promoted.
        """
        with self._locked():
            history = self.history()
            if len(history) < 2:
                raise DataError(f"nothing to roll back to in {self.root}: one version was promoted")
            history.pop()
            self._write(HISTORY, json.dumps(history) + "\n")
            self._write(CURRENT, history[-1] + "\n")
            return history[-1]

    # -- outcomes ---------------------------------------------------------------------------

    def outcomes(self) -> list[dict[str, Any]]:
        """Return the learned closed-deal rows, one per deal id (the latest wins).

        The file is append-only: each call parses only the lines added since the last one
        (a replaced or truncated file is read again from the start).

        Raises:
            DataError: naming the file and line of a row that is not a JSON object.
        """
        with self._cache_lock:
            self._read_new_outcomes()
            return list(self._outcomes.values())

    def outcome_count(self) -> int:
        """Return how many distinct closed deals are learned (reads only the new lines)."""
        with self._cache_lock:
            self._read_new_outcomes()
            return len(self._outcomes)

    def _read_new_outcomes(self) -> None:
        path = self.root / OUTCOMES
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._outcomes, self._outcomes_read, self._outcomes_lines = {}, 0, 0
            self._outcomes_file = None
            return
        ident = (stat.st_dev, stat.st_ino)
        if ident != self._outcomes_file or stat.st_size < self._outcomes_read:
            self._outcomes, self._outcomes_read, self._outcomes_lines = {}, 0, 0
            self._outcomes_file = ident
        if stat.st_size == self._outcomes_read:
            return
        with path.open("rb") as fh:
            fh.seek(self._outcomes_read)
            tail = fh.read(stat.st_size - self._outcomes_read)
        complete = tail[: tail.rfind(b"\n") + 1]  # a line being written is read next time
        fresh = self._outcomes  # re-applying a line after an error changes nothing
        n = self._outcomes_lines
        for raw in complete.splitlines():
            n += 1
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise DataError(f"{path}, line {n}: not a JSON row: {err}") from err
            if not isinstance(row, dict):
                raise DataError(f"{path}, line {n}: a learned outcome must be a JSON object")
            fresh[str(row.get("deal_id"))] = row
        self._outcomes = fresh
        self._outcomes_read += len(complete)
        self._outcomes_lines = n

    def add_outcome(self, row: Mapping[str, Any]) -> int:
        """Keep one closed deal's labelled row; return how many distinct deals are kept."""
        with self.locked():
            with (self.root / OUTCOMES).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(dict(row), default=str) + "\n")
            return self.outcome_count()


def _same_features(card: ModelCard, policy: Policy) -> bool:
    skip = set(policy.scoring.exclude_features)
    wanted = [(f.column, f.kind) for f in policy.scoring.features if f.column not in skip]
    have = [(str(f["column"]), str(f["kind"])) for f in card.features]
    return bool(wanted) and wanted == have


class LearnResult(BaseModel):
    """What the scorer did with a closed deal or a scheduled refresh."""

    action: Literal["kept", "recalibrated", "retrained", "rules"]
    """`kept` the label only, `recalibrated`, `retrained`, or `rules` (below the data gate)."""
    version: str
    """The version that scores afterwards."""
    previous: str | None = None
    """The version it replaced (kept for rollback)."""
    new_outcomes: int = 0
    """Outcomes learned since the version that scored before."""
    reason: str = ""
    """What happened, in words."""


class RegistryScorer:
    """The operator's scorer: the registry's current model, learning from closed deals."""

    def __init__(
        self, registry: ModelRegistry, policy: Policy, model: TrainedModel | RulesScorer
    ) -> None:
        """Score with `model` (the registry's current version, or the rules model)."""
        self.registry = registry
        """Where the versions live."""
        self.policy = policy
        """Gives the learning thresholds, the features and the bands."""
        self.model: TrainedModel | RulesScorer = model
        """The model that scores now (switch it with `use`)."""
        self.version: str = model.version
        """The current model version."""
        self.engine: str = model.engine
        """`xgboost` or `rules`."""

    def use(self, model: TrainedModel | RulesScorer) -> None:
        """Score with `model` from now on."""
        self.model = model
        self.version = model.version
        self.engine = model.engine

    @property
    def note(self) -> str:
        """Return the current model's note (why the rules model scores)."""
        return self.model.note

    @property
    def metrics(self) -> dict[str, Any]:
        """Return the current model's metrics."""
        return dict(self.model.metrics)

    @property
    def card(self) -> ModelCard | None:
        """Return the current model card (None for the rules model)."""
        return self.model.card if isinstance(self.model, TrainedModel) else None

    def predict(self, row: Mapping[str, Any]) -> ScoreResult:
        """Score one feature row with the current model."""
        return self.model.predict(dict(row))

    def rollback(self) -> str:
        """Score with the previously promoted version again; return it."""
        version = self.registry.rollback()
        self.use(self.registry.load(version))
        return version

    # -- learning ---------------------------------------------------------------------------

    def _new_outcomes(self) -> int:
        seen = self.model.card.outcomes_seen if isinstance(self.model, TrainedModel) else 0
        return self.registry.outcome_count() - seen

    def _follow_current(self) -> None:
        """Score with the registry's current version when another process promoted a newer one.

        The learning counter is the registry's (outcomes learned minus the current version's
        `outcomes_seen`), so every process sharing the folder counts the same deals once.
        """
        current = self.registry.current_version()
        if current is None or current == self.version:
            return
        try:
            self.use(self.registry.load(current))
        except DataError:
            return  # keep scoring with the model in hand; the registry is read again next time

    def _training_rows(self, crm: CRMReader | None) -> list[dict[str, Any]]:
        rows = [dict(r) for r in crm.closed_deal_rows()] if crm is not None else []
        known = {str(r.get("deal_id")) for r in rows}
        rows.extend(r for r in self.registry.outcomes() if str(r.get("deal_id")) not in known)
        return rows

    def record_outcome(
        self, row: Mapping[str, Any], *, crm: CRMReader | None = None
    ) -> LearnResult:
        """Learn one closed deal: keep its labelled row, then recalibrate or retrain if due.

        Args:
            row: The deal's feature row with `deal_id`, `outcome` (won/lost) and the
                policy's time column (`closed_at`). Recording the same deal again replaces it.
            crm: Gives the rest of the closed-deal history for recalibration and retraining.

        Raises:
            DataError: when the row lacks a deal id or has a bad outcome.
        """
        if not row.get("deal_id"):
            raise DataError("a learned outcome needs its deal_id")
        parse_target(row.get("outcome"), f"deal {row['deal_id']}", "outcome")
        # one step under the registry's lock: of several processes closing deals, exactly
        # one acts on each count (the others then follow the version it promoted)
        with self.registry.locked():
            self.registry.add_outcome(row)
            self._follow_current()
            return self._learn(crm)

    def _learn(self, crm: CRMReader | None) -> LearnResult:
        new = self._new_outcomes()
        scoring = self.policy.scoring
        if not isinstance(self.model, TrainedModel) or new >= scoring.retrain_after:
            return self.retrain(crm, reason=f"{new} new closed deal(s)")
        report = self.drift()
        if report is not None and report.shifted:
            worst = ", ".join(
                f"{f.feature} (PSI {f.psi:.2f})" for f in report.features if f.shifted
            )
            return self.retrain(crm, reason=f"the mix of {new} new closed deals shifted: {worst}")
        if new >= scoring.recalibrate_after:
            return self.recalibrate(crm)
        return LearnResult(
            action="kept",
            version=self.version,
            new_outcomes=new,
            reason=(
                f"{new} new closed deal(s) since {self.version}; recalibration after "
                f"{scoring.recalibrate_after}, retraining after {scoring.retrain_after}"
            ),
        )

    def drift(self, rows: Sequence[Mapping[str, Any]] | None = None) -> DriftReport | None:
        """Compare recent deals with the current model's training window, feature by feature.

        Args:
            rows: The recent feature rows; by default the closed deals learned since the
                current model was made.

        Returns:
            The population-stability report, or None for the rules model or when fewer
            than `scoring.drift_min_rows` rows are there to compare.
        """
        model = self.model
        if not isinstance(model, TrainedModel) or not model.drift_reference:
            return None
        recent = list(rows) if rows is not None else self._recent_outcomes()
        if len(recent) < self.policy.scoring.drift_min_rows:
            return None
        return psi_report(model, recent, threshold=self.policy.scoring.drift_psi)

    def _recent_outcomes(self) -> list[dict[str, Any]]:
        seen = self.model.card.outcomes_seen if isinstance(self.model, TrainedModel) else 0
        return self.registry.outcomes()[seen:]

    def refresh(self, crm: CRMReader | None, *, now: datetime) -> LearnResult:
        """Retrain on schedule: once the model is `retrain_every_days` old, or is the rules one.

        Under the registry's lock, after following a version another process promoted, so
        several processes retrain once between them.
        """
        with self.registry.locked():
            self._follow_current()
            return self._refresh(crm, now=now)

    def _refresh(self, crm: CRMReader | None, *, now: datetime) -> LearnResult:
        if isinstance(self.model, TrainedModel):
            trained = to_datetime(self.model.card.trained_at)
            due = trained + timedelta(days=self.policy.scoring.retrain_every_days)
            if now < due:
                return LearnResult(
                    action="kept",
                    version=self.version,
                    new_outcomes=self._new_outcomes(),
                    reason=f"{self.version} was trained {trained:%Y-%m-%d}; next retrain due "
                    f"{due:%Y-%m-%d}",
                )
        return self.retrain(crm, reason="scheduled refresh")

    def retrain(self, crm: CRMReader | None, *, reason: str = "") -> LearnResult:
        """Train a new version on the CRM's closed deals plus the learned outcomes."""
        from sales_operator.scoring.model import train_scorer

        previous = self.version if isinstance(self.model, TrainedModel) else None
        new = self._new_outcomes()
        rows = self._training_rows(crm)
        trained = train_scorer(rows, self.policy)
        if not isinstance(trained, TrainedModel):
            self.use(trained)
            return LearnResult(
                action="rules",
                version=trained.version,
                previous=previous,
                new_outcomes=new,
                reason=trained.note,
            )
        trained.card = trained.card.model_copy(
            update={"outcomes_seen": len(self.registry.outcomes()), "parent": previous}
        )
        self.use(self.registry.register(trained))
        return LearnResult(
            action="retrained",
            version=self.version,
            previous=previous,
            new_outcomes=new,
            reason=f"retrained on {len(rows)} closed deals ({reason}); {previous or 'none'} "
            "kept for rollback",
        )

    def recalibrate(self, crm: CRMReader | None) -> LearnResult:
        """Refit the calibration on closed deals the trees never saw; keep the trees."""
        model = self.model
        if not isinstance(model, TrainedModel):
            return self.retrain(crm, reason="no trees to recalibrate")
        new = self._new_outcomes()
        rows = _unseen_rows(model, self._training_rows(crm))
        target = model.card.target
        y = np.array([parse_target(r.get(target), "row", target) for r in rows])
        if len(rows) < 10 or y.min(initial=1.0) == y.max(initial=0.0):
            return LearnResult(
                action="kept",
                version=self.version,
                new_outcomes=new,
                reason=f"too few unseen closed deals ({len(rows)}) of both outcomes to recalibrate",
            )
        margins = model.margins(rows)
        method = model.calibrator.method if model.calibrator is not None else "platt"
        calibrator = Calibrator.fit(margins, y, method)
        probs = calibrator(margins)
        fresh = model.with_calibrator(
            calibrator, note=f"{len(rows)} closed deals after the trees' training window"
        )
        fresh.card = fresh.card.model_copy(
            update={
                "outcomes_seen": len(self.registry.outcomes()),
                "metrics": {
                    **model.card.metrics,
                    "recalibration_rows": float(len(rows)),
                    "recalibration_brier": brier(y, probs),
                    "recalibration_ece": expected_calibration_error(y, probs),
                    "recalibration_roc_auc": roc_auc(y, probs),
                },
            }
        )
        previous = self.version
        self.use(self.registry.register(fresh))
        return LearnResult(
            action="recalibrated",
            version=self.version,
            previous=previous,
            new_outcomes=new,
            reason=f"recalibrated on {len(rows)} closed deals the trees never saw; "
            f"{previous} kept for rollback",
        )


def _unseen_rows(model: TrainedModel, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows after the trees' training window (all rows when there is no time)."""
    column = model.card.time_column
    ends = [w.end for k, w in model.card.slices.items() if k in ("train", "validation") and w.end]
    if column is None or not ends:
        return list(rows)
    cutoff = max(ends)
    out = []
    for r in rows:
        try:
            when = to_datetime(r.get(column)).date().isoformat()
        except (TypeError, ValueError):
            continue
        if when > cutoff:
            out.append(r)
    return out


def utc_now() -> datetime:
    """Return the current UTC time (for callers that schedule `refresh`)."""
    return datetime.now(UTC)

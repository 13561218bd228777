"""Scoring + Routing logic: the conversion model, routing by policy, and deal risk.

- `tabular`: `train_tabular`, `TrainedModel`, `ModelCard`, `ScoreResult` (any table of history);
- `model`: `train_scorer`, `load_or_train_scorer`, `XGBScorer`, `RulesScorer`, `feature_row`
  (the CRM's closed deals);
- `registry`: `ModelRegistry`, `RegistryScorer` (versions, rollback, learning);
- `drift`: `psi_report` (population stability per feature);
- `routing`: `route_lead`;
- `risk`: `assess_risk`, `adjust_probability`, `is_at_risk`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sales_operator._lazy import lazy_exports

__all__ = [
    "CATEGORICAL_FEATURES",
    "NUMERIC_FEATURES",
    "DriftReport",
    "LearnResult",
    "ModelCard",
    "ModelRegistry",
    "RegistryScorer",
    "TrainedModel",
    "RulesScorer",
    "ScoreResult",
    "XGBScorer",
    "adjust_probability",
    "assess_risk",
    "band_for",
    "describe_factor",
    "feature_row",
    "is_at_risk",
    "load_or_train_scorer",
    "read_closed_deals_csv",
    "route_lead",
    "segment_for",
    "title_to_seniority",
    "psi_report",
    "train_scorer",
    "train_tabular",
]

# Each name loads on first use, so importing the package stays light (no xgboost, no graph).
__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "sales_operator.scoring.drift": (
            "DriftReport",
            "psi_report",
        ),
        "sales_operator.scoring.model": (
            "CATEGORICAL_FEATURES",
            "NUMERIC_FEATURES",
            "RulesScorer",
            "ScoreResult",
            "XGBScorer",
            "band_for",
            "describe_factor",
            "feature_row",
            "load_or_train_scorer",
            "read_closed_deals_csv",
            "segment_for",
            "title_to_seniority",
            "train_scorer",
        ),
        "sales_operator.scoring.registry": (
            "LearnResult",
            "ModelRegistry",
            "RegistryScorer",
        ),
        "sales_operator.scoring.risk": (
            "adjust_probability",
            "assess_risk",
            "is_at_risk",
        ),
        "sales_operator.scoring.routing": ("route_lead",),
        "sales_operator.scoring.tabular": (
            "ModelCard",
            "TrainedModel",
            "train_tabular",
        ),
    },
)

if TYPE_CHECKING:
    from sales_operator.scoring.drift import DriftReport, psi_report
    from sales_operator.scoring.model import (
        CATEGORICAL_FEATURES,
        NUMERIC_FEATURES,
        RulesScorer,
        ScoreResult,
        XGBScorer,
        band_for,
        describe_factor,
        feature_row,
        load_or_train_scorer,
        read_closed_deals_csv,
        segment_for,
        title_to_seniority,
        train_scorer,
    )
    from sales_operator.scoring.registry import LearnResult, ModelRegistry, RegistryScorer
    from sales_operator.scoring.risk import adjust_probability, assess_risk, is_at_risk
    from sales_operator.scoring.routing import route_lead
    from sales_operator.scoring.tabular import ModelCard, TrainedModel, train_tabular

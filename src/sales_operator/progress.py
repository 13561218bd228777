"""Progress of long steps: streamed through LangGraph's `custom` stream mode, or to a callback.

The long steps (transcription, model training, research, call analysis) call
`report_progress(step, done, total, label)`. Inside a graph run that reaches whoever streams
with `stream_mode="custom"` as one chunk:

```python
{"progress": {"step": "research", "done": 2, "total": 5, "label": "reading the CRM history"}}
```

`step` names the long step (`STEPS`), `done` of `total` units are finished (the last event of a
step has `done == total`), `label` says what is being done now. Outside a graph (the CLI's
`train`, `analyze-call`, `research`), `progress_sink(callback)` receives the same `Progress`
values. Outside both, reporting costs nothing. `ProgressBar` draws them on a terminal.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO, TypedDict

ProgressStep = Literal["transcription", "training", "research", "meeting_analysis"]

STEPS: tuple[ProgressStep, ...] = ("transcription", "training", "research", "meeting_analysis")
"""The steps that report progress."""

logger = logging.getLogger(__name__)

PROGRESS_KEY = "progress"
"""The key of a progress event in a `custom` stream chunk."""


class Progress(TypedDict):
    """One progress event of a long step."""

    step: ProgressStep
    """Which long step."""
    done: int
    """Units finished (stages, boosting rounds, thousandths of the audio)."""
    total: int
    """Units in all; `done == total` on the step's last event."""
    label: str
    """What is being done now, in words."""


_SINK: contextvars.ContextVar[Callable[[Progress], None] | None] = contextvars.ContextVar(
    "sales_operator_progress_sink", default=None
)


@contextmanager
def progress_sink(callback: Callable[[Progress], None]) -> Iterator[None]:
    """Send the progress of long steps run inside this block to `callback` (outside a graph)."""
    token = _SINK.set(callback)
    try:
        yield
    finally:
        _SINK.reset(token)


def _stream_writer() -> Callable[[Any], None] | None:
    if "langgraph.config" not in sys.modules:  # no graph has been loaded: not inside a run
        return None
    from langgraph.config import get_stream_writer

    try:
        return get_stream_writer()
    except RuntimeError:  # called outside a runnable context
        return None


def progress_wanted() -> bool:
    """Whether anyone listens: a `progress_sink`, or a graph run (that may stream `custom`)."""
    return _SINK.get() is not None or _stream_writer() is not None


def report_progress(step: ProgressStep, done: int, total: int, label: str = "") -> None:
    """Report that `done` of `total` units of `step` are finished.

    Written to the graph's `custom` stream as `{"progress": {...}}` when called inside a run
    (a no-op unless the caller streams `custom`), and to the `progress_sink` callback if one
    is set. Out-of-range values are clamped, and a failing callback (a closed terminal) is
    logged, not raised: a report never fails the step it describes.
    """
    total = max(1, int(total))
    event: Progress = {
        "step": step,
        "done": max(0, min(int(done), total)),
        "total": total,
        "label": label,
    }
    sink = _SINK.get()
    if sink is not None:
        try:
            sink(event)
        except Exception as err:  # the display failed; the work goes on
            logger.warning("progress callback failed: %s: %s", type(err).__name__, err)
    writer = _stream_writer()
    if writer is not None:
        writer({PROGRESS_KEY: dict(event)})


def progress_of(chunk: Any) -> Progress | None:
    """Return the progress event in a `custom` stream chunk, or None for any other chunk."""
    if not isinstance(chunk, dict):
        return None
    value = chunk.get(PROGRESS_KEY)
    if not isinstance(value, dict) or value.get("step") not in STEPS:
        return None
    done, total = value.get("done"), value.get("total")
    if not isinstance(done, int) or not isinstance(total, int) or total < 1:
        return None
    label = value.get("label")
    return {
        "step": value["step"],
        "done": done,
        "total": total,
        "label": label if isinstance(label, str) else "",
    }


def training_callback(total_rounds: int) -> Any:
    """Return an xgboost `TrainingCallback` that reports each boosting round as `training`.

    Early stopping may end training before `total_rounds`; the last report then says so.
    """
    import xgboost as xgb

    class _Rounds(xgb.callback.TrainingCallback):
        def __init__(self) -> None:
            super().__init__()
            self.wanted = progress_wanted()

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if self.wanted and (epoch % 10 == 0 or epoch + 1 == total_rounds):
                report_progress("training", epoch + 1, total_rounds, "boosting rounds")
            return False

        def after_training(self, model: Any) -> Any:
            if self.wanted:
                report_progress("training", total_rounds, total_rounds, "trained")
            return model

    return _Rounds()


class ProgressBar:
    """Draw progress events as one line per step on a terminal (stderr by default).

    `enabled=None` draws only when the stream is a TTY. A step's line is redrawn in place
    (at most every `interval` seconds) and ends with a newline when the step is done.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        width: int = 24,
        interval: float = 0.1,
    ) -> None:
        """Draw on `stream` (stderr); `enabled=None` means only when it is a terminal."""
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = enabled if enabled is not None else bool(isatty and isatty())
        self.width = width
        self.interval = interval
        self._open: str | None = None
        self._last = 0.0
        self._drawn = 0
        self._lock = threading.Lock()  # nodes may report from several worker threads

    def __call__(self, event: Progress) -> None:
        """Draw one progress event."""
        if not self.enabled:
            return
        with self._lock:
            self._draw(event)

    def _draw(self, event: Progress) -> None:
        finished = event["done"] >= event["total"]
        now = time.monotonic()
        if not finished and event["step"] == self._open and now - self._last < self.interval:
            return
        if self._open is not None and self._open != event["step"]:
            self.stream.write("\n")
            self._drawn = 0
        self._last = now
        line = render_bar(event, self.width)
        self.stream.write("\r" + line.ljust(self._drawn))  # cover a longer previous line
        self._drawn = len(line)
        self._open = None if finished else event["step"]
        if finished:
            self.stream.write("\n")
            self._drawn = 0
        self.stream.flush()

    def close(self) -> None:
        """End an unfinished line."""
        if self.enabled and self._open is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._open = None


def render_bar(event: Progress, width: int = 24) -> str:
    """Return one line: `research   [#########...............]  2/5 reading the CRM`."""
    filled = round(width * event["done"] / event["total"])
    bar = "#" * filled + "." * (width - filled)
    return f"{event['step']:<16} [{bar}] {event['done']}/{event['total']} {event['label']}"

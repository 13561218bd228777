"""Exceptions raised by sales-operator.

```text
SalesOperatorError(Exception)
├─ ConfigurationError        # bad Deps/Context/policy; a gated run without a checkpointer
├─ InputError                # bad input: an event, transcript, CSV row or document
│  ├─ EventError             # a malformed event or payload
│  ├─ TranscriptError        # an unreadable or malformed transcript
│  ├─ LimitError             # an input over a policy limit (.limit, .value, .maximum)
│  └─ DataError              # a malformed CSV row, column or training set
│     └─ LeakageError        # a feature known only after the outcome (.columns)
├─ PolicyError               # a malformed RevOps policy file
├─ AdapterError              # .adapter, .operation; raised `from` the vendor error
│  ├─ TransientAdapterError  # the only thing the executor's retry policy retries
│  └─ PermanentAdapterError
├─ ApprovalError             # a malformed or disallowed decision, an unknown action kind
│  └─ ContractError          # action arguments that break their contract (outsider, spoofed From)
├─ DealBusyError             # another process holds the deal's lease (.retryable = True)
├─ RecoveryNeededError       # the thread stopped inside execute_actions; resume it first
└─ ReadOnlyStateError        # a checkpointed state object changed in place (also a TypeError)
```

A rejection is a decision, not an error. Every error names what is wrong.
"""

from __future__ import annotations


class SalesOperatorError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigurationError(SalesOperatorError):
    """The operator was built or configured in a way that cannot work."""


class InputError(SalesOperatorError, ValueError):
    """Input data is malformed; nothing was stored."""


class EventError(InputError):
    """An event or its payload is malformed."""


class TranscriptError(InputError):
    """A transcript cannot be read or is malformed."""


class LimitError(InputError):
    """An input exceeds one of the policy's input limits (`limits:`); nothing was stored."""

    def __init__(self, message: str, *, limit: str, value: object, maximum: object) -> None:
        super().__init__(message)
        self.limit = limit
        """The limit's name in the policy (`max_field_bytes`, `max_depth`, ...)."""
        self.value = value
        """What the input had."""
        self.maximum = maximum
        """What the limit allows."""


class DataError(InputError):
    """A data file, CSV row or training set is malformed."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        """The bad row (0-based among the rows read), when one row is to blame."""
        self.column = column
        """The bad column, when one column is to blame."""


class LeakageError(DataError):
    """A training feature is known only after the outcome it would predict."""

    def __init__(self, message: str, *, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns
        """The refused columns."""


class PolicyError(SalesOperatorError, ValueError):
    """The RevOps policy file is malformed."""


class AdapterError(SalesOperatorError):
    """An adapter (CRM, mailer, messenger, calendar, search) failed."""

    def __init__(self, message: str, *, adapter: str, operation: str) -> None:
        super().__init__(f"{adapter}.{operation}: {message}")
        self.adapter = adapter
        """The adapter's name."""
        self.operation = operation
        """The operation that failed."""


class TransientAdapterError(AdapterError):
    """A failure worth retrying (timeouts, 5xx, rate limits)."""


class PermanentAdapterError(AdapterError):
    """A failure that a retry would repeat."""


class ApprovalError(SalesOperatorError):
    """A decision is missing, malformed or not allowed, or an action kind is unknown.

    Nothing is executed and the approval request stays pending.
    """


class ContractError(ApprovalError):
    """An action's arguments break their contract.

    An outside recipient, a spoofed sender, a protected CRM field, a malformed address.
    Raised for proposed actions and for reviewers' edits alike; nothing is executed.
    """


# --- one writer per deal, recovery ------------------------------------------------------


class DealBusyError(SalesOperatorError):
    """Another process holds the deal's lease; nothing was recorded. Retry later.

    `retryable` is always True: the event or decision was not dropped, it was refused.
    """

    retryable = True

    def __init__(self, message: str, *, deal_id: str, holder: str) -> None:
        super().__init__(message)
        self.deal_id = deal_id
        """The deal."""
        self.holder = holder
        """Who holds the lease."""


class LeaseLostError(SalesOperatorError):
    """The deal's lease was lost while its writer ran; the executor stopped before writing.

    The lease's database session ended (a restart, a failover, an idle timeout,
    `pg_terminate_backend`), or it expired and another writer took it over. Another worker
    may run the deal now, so the executor runs nothing more: the actions already done keep
    their receipts, the rest stay approved on record. `recover_deal()` (`sales-operator
    resume DEAL`) finishes them under a new lease, each exactly once.
    """

    retryable = True

    def __init__(self, message: str, *, deal_id: str, holder: str) -> None:
        super().__init__(message)
        self.deal_id = deal_id
        """The deal."""
        self.holder = holder
        """The holder whose lease was lost."""


class RecoveryNeededError(SalesOperatorError):
    """The deal's thread stopped inside `execute_actions`; run `resume` before anything else."""

    def __init__(self, message: str, *, deal_id: str, action_ids: list[str]) -> None:
        super().__init__(message)
        self.deal_id = deal_id
        """The deal."""
        self.action_ids = action_ids
        """The approved actions not yet run."""


class ReadOnlyStateError(SalesOperatorError, TypeError):
    """A deal-state object stored in a checkpoint was changed in place; copy it instead.

    Objects the checkpointer has packed are read-only (`sales_operator.sealed`): assigning a
    field, or changing a list or dict inside one, raises this. Make a changed copy with
    `model_copy(update={...})`.
    """

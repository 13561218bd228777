"""Workflow Copilot: turn what the other patterns found into proposed actions.

```text
START ─► propose_actions ─► END
```

The copilot reads what this event produced (the score and assignment, the brief, the call
insights, the risks, the handoff brief) and appends `ProposedAction`s for the approval gate:
CRM updates, stage changes, tasks, notes, emails, Slack messages and invites. It performs
nothing itself.

Every customer email is written from a fact sheet (`sales_operator.copilot.facts`): each fact
tagged customer-safe or internal, with its source. The template draft (`offline:template`)
uses only customer-safe facts, restated in our voice (`copilot.voice`); with a model, one
`LLM.structured` call per email (schema `EmailDraft`, prompts `copilot/*`) sees only the
customer-safe facts. Either draft is then checked (`copilot.check`): no internal term, and in
a model draft every number, date, name and link must come from the sheet; a model draft that
fails is replaced by the template draft, and the reason goes into the action's description
for the reviewer. Slack texts are always templates.

Per event:

- `lead_created`: assign_owner, post_slack to the rep, first-touch send_email, update_crm
  with the score.
- `meeting_completed`: update_crm with the call notes, log_note, change_stage to
  `discovery`, follow-up send_email (pains, concerns, every request and commitment of both
  sides, the agreed next call, promised materials attached or linked), one create_task per
  commitment, send_invite for a customer commitment that is a dated call, placed inside both
  parties' working hours and written in the recipient's time zone.
- `activity_logged`: nothing.
- `pipeline_review` (risks and a probability below `policy.risk.at_risk_below`):
  re-engagement send_email to the champion that answers their latest reply, leaves out what
  is done or superseded and owns the rep's overdue items; post_slack alert to the manager.
- `deal_closed`: won: change_stage, update_crm, handoff send_email and post_slack to
  customer success, kickoff create_task and send_invite; lost: change_stage, update_crm,
  log_note. CRM writes carry the event's business time.

Every action's idempotency key comes from the deal, the event, the kind and a stable
discriminator, so running the node twice for one event proposes nothing new.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import formataddr
from typing import Any, Final

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel

from sales_operator.actions import NEW_LEAD_NOTICE, idempotency_key, propose
from sales_operator.adapters.base import Rep
from sales_operator.context import Context
from sales_operator.contracts import owner_id_of
from sales_operator.copilot.check import check_draft, find_terms
from sales_operator.copilot.collateral import Material, materials_for
from sales_operator.copilot.facts import FactSheet
from sales_operator.copilot.learning import examples, learned_edits, preferences
from sales_operator.copilot.requests import CallRequest, call_requests
from sales_operator.copilot.voice import (
    has_first_person,
    lower_first,
    restate,
    restate_concern,
    restate_question,
    sentence,
    strip_hedges,
    swap_person,
    upper_first,
)
from sales_operator.copilot.zones import Zone, call_slot, contact_zone, rep_zone, when
from sales_operator.deps import PatternDeps
from sales_operator.llm import LLM
from sales_operator.policy import ProductProfile
from sales_operator.research.reuse import customer_safe_claims
from sales_operator.state import (
    AccountBrief,
    Activity,
    Commitment,
    Contact,
    DealState,
    MeetingInsights,
    ProposedAction,
)

logger = logging.getLogger(__name__)

STEP: Final = "workflow_copilot"
"""The pattern name, used as `proposed_by` and as the key in `DealState.engines`."""

TEMPLATE_ENGINE = "offline:template"
"""The engine name of the offline drafts."""

KICKOFF_BUSINESS_DAYS = 3
"""Working days between a won deal and its customer-success kickoff."""

CALL_MINUTES = 30
"""Length of an invite for a call agreed on a call."""

KICKOFF_MINUTES = 60
"""Length of the kickoff invite."""

SIGN_OFF = "Best regards,"
"""The template's closing line (a rep's edits may replace it)."""

_MEETING_WORDS = re.compile(
    r"\b(call|meeting|meet|loop(?:ing)? in|intro(?:duce|duction)?|demo|session|sync|workshop)\b",
    re.I,
)
_GROWTH_WORDS = re.compile(r"\b(grow|growth|expan|new|announc|open|hir)", re.I)
_STOP = frozenset(
    """the a an and or of to for with by on in at from our your their his her its this that
    send share set up loop call meet follow will would can get give provide schedule book
    about over into next week friday monday tuesday wednesday thursday""".split()
)

_ROLE_TITLES = {
    "sdr": "Sales Development Representative",
    "ae": "Account Executive",
    "manager": "Sales Manager",
    "cro": "Chief Revenue Officer",
    "cs": "Customer Success Manager",
    "queue": "Sales team",
}


SHEET_OBSERVERS: list[Callable[[str, FactSheet], None]] = []
"""Callbacks given (idempotency key, fact sheet) for every email drafted; the drafts eval
registers one to check each draft against its own sheet. Empty by default."""


class EmailDraft(BaseModel):
    """An email ready for review."""

    subject: str
    """Subject line."""
    body: str
    """Plain-text body, signed."""


# --------------------------------------------------------------------------- small helpers


def business_days_after(start: date, days: int) -> date:
    """Return the date `days` working days (Monday to Friday) after `start`."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def _day(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B}"


def _money(amount: float | None, currency: str) -> str:
    return f"{amount:,.0f} {currency}" if amount is not None else "an undisclosed amount"


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _title_acronym(title: str) -> str | None:
    match = re.search(r"\(([A-Z]{2,5})\)", title)
    if match:
        return match.group(1)
    words = [w for w in re.findall(r"[A-Za-z]+", title) if w[0].isupper()]
    return "".join(w[0] for w in words) if len(words) >= 2 else None


def _named_contacts(text: str, contacts: list[Contact]) -> list[Contact]:
    """Return the contacts `text` mentions by name, first name, last name or title acronym."""
    named: list[Contact] = []
    for contact in contacts:
        parts = contact.name.split()
        names = [contact.name, *[p for p in parts if len(p) >= 3]]
        hit = any(re.search(rf"\b{re.escape(n)}\b", text, re.I) for n in names)
        acronym = _title_acronym(contact.title or "")
        if not hit and acronym and re.search(rf"\b{re.escape(acronym)}\b", text):
            hit = True
        if hit:
            named.append(contact)
    return named


def _matches_person(speaker: str, contact: Contact) -> bool:
    speaker = speaker.strip().lower()
    if not speaker:
        return False
    name = contact.name.lower()
    return speaker == name or speaker in name.split() or name in speaker


def _address(person: Contact | Rep) -> str:
    """Return `Name <email>` for a person with an email."""
    return formataddr((person.name, person.email or ""))


def _signature(rep: Rep | None, company: str) -> str:
    if rep is None or rep.role == "queue":
        return f"{SIGN_OFF}\nThe {company} team"
    title = _ROLE_TITLES.get(rep.role, "")
    line = f"{title}, {company}" if title else company
    return f"{SIGN_OFF}\n{rep.name}\n{line}\n{rep.email}"


def _brief_lines(brief: AccountBrief) -> list[str]:
    lines = [brief.headline, ""]
    lines += [f"- {c.text} [{', '.join(q.source for q in c.citations)}]" for c in brief.claims]
    if brief.sources:
        lines += ["", "Sources:"]
        lines += [f"[{s.id}] {s.title} ({s.location})" for s in brief.sources]
    return lines


def _commitment_text(commitment: Commitment) -> str:
    """Return what was committed, as a verb phrase without the owner ("send the ROI model")."""
    text = str(getattr(commitment, "text", "") or getattr(commitment, "title", "") or "").strip()
    text = strip_hedges(text).rstrip(".")
    text = re.sub(
        r"^(?:i|we)\s*(?:'ll|\u2019ll| will| can| am going to| are going to)\s+",
        "",
        text,
        flags=re.I,
    )
    text = re.sub(r"^(?:i'm|we're) going to\s+", "", text, flags=re.I)
    return lower_first(text)


def _commitment_title(commitment: Commitment) -> str:
    if commitment.title and commitment.title.strip():
        return commitment.title.strip()
    text = _clip(_commitment_text(commitment), 80)
    if commitment.side == "customer":
        return f"Follow up: {commitment.owner} to {text}"
    return upper_first(text)


def _due(commitment: Commitment) -> date | None:
    due = getattr(commitment, "due", None)
    return due if isinstance(due, date) else None


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z-]{3,}", text.lower()) if w not in _STOP}


def _reply_gist(activity: Activity, contacts: list[Contact]) -> str:
    """Return an inbound reply's summary as a clause in our voice ("you're reviewing ...")."""
    text = activity.summary.strip()
    for contact in contacts:
        for prefix in (contact.name, _first_name(contact.name)):
            if text.lower().startswith(prefix.lower() + ":"):
                text = text[len(prefix) + 1 :].strip()
    text = re.sub(r"^[A-Z][\w .'-]{0,40}:\s*", "", text)  # "Name: ..." of an unknown sender
    text = strip_hedges(text).strip().rstrip(".")
    if not text:
        return ""
    first = text.split()[0].lower()
    if first.endswith("ing"):
        return f"you're {lower_first(text)}"
    return lower_first(swap_person(text))


# --------------------------------------------------------------------------- the proposer


class _Proposer:
    """Collects the new actions of one run of `propose_actions`."""

    def __init__(self, state: DealState, deps: PatternDeps, llm: LLM) -> None:
        self.state = state
        self.deps = deps
        self.llm = llm
        self.company = deps.policy.company.name
        self.product = deps.policy.company.product
        self.currency = deps.policy.company.currency
        self.policy = deps.policy.copilot
        self.existing = {a.idempotency_key for a in state.proposed_actions}
        self.new: list[ProposedAction] = []
        self.engines: list[str] = []
        self._reps: dict[str, Rep] | None = None

    # ---- lookups

    @property
    def reps(self) -> dict[str, Rep]:
        if self._reps is None:
            self._reps = {r.id: r for r in self.deps.crm.list_reps()}
        return self._reps

    @property
    def rep(self) -> Rep | None:
        rep_id = owner_id_of(self.state)  # the deal's owner once assigned (edits included)
        return self.reps.get(rep_id) if rep_id else None

    @property
    def manager(self) -> Rep | None:
        rep = self.rep
        return self.reps.get(rep.manager_id) if rep and rep.manager_id else None

    @property
    def cs_rep(self) -> Rep | None:
        return next((r for r in self.reps.values() if r.role == "cs" and r.active), None)

    @property
    def deal_id(self) -> str:
        return self.state.deal.id if self.state.deal else self.state.deal_id

    @property
    def deal_name(self) -> str:
        deal = self.state.deal
        return deal.name if deal else self.deal_id

    @property
    def account_name(self) -> str:
        account = self.state.account
        return account.name if account else self.deal_name

    @property
    def now(self) -> datetime:
        event = self.state.event
        return event.at if event is not None else datetime.now(UTC)

    def contact(self, contact_id: str | None) -> Contact | None:
        return next((c for c in self.state.contacts if c.id == contact_id), None)

    @property
    def lead_contact(self) -> Contact | None:
        return self.contact(self.state.lead.contact_id) if self.state.lead else None

    @property
    def champion(self) -> Contact | None:
        contacts = list(self.state.contacts)
        for contact in contacts:
            if (contact.role or "").lower() == "champion":
                return contact
        if self.lead_contact is not None:
            return self.lead_contact
        return contacts[0] if contacts else None

    @property
    def latest_meeting(self) -> MeetingInsights | None:
        if self.state.meeting is not None:
            return self.state.meeting
        return self.state.meetings[-1] if self.state.meetings else None

    def zone(self, person: Contact | Rep | None) -> Zone:
        """Return the person's time zone (see `copilot.zones`)."""
        if isinstance(person, Rep):
            return rep_zone(person)
        return contact_zone(person, self.state.account, self.policy, self.rep)

    def attendees(self, meeting: MeetingInsights) -> list[Contact]:
        """Return the customer contacts who were on the call, the lead contact when unknown."""
        payload_emails = (
            {str(e).lower() for e in (self.state.event.payload.get("attendees") or [])}
            if self.state.event
            else set()
        )
        rep_side = {name for name, side in meeting.speakers.items() if side == "rep"}
        speakers = set(meeting.talk_ratio) | set(meeting.speakers)
        speakers |= {c.owner for c in meeting.commitments if c.side != "rep"}
        speakers |= {p.quote.speaker for p in meeting.pains}
        speakers -= rep_side
        found = [
            c
            for c in self.state.contacts
            if (c.email and c.email.lower() in payload_emails)
            or any(_matches_person(s, c) for s in speakers)
        ]
        if not found and self.lead_contact is not None:
            found = [self.lead_contact]
        return found

    def latest_reply(self, after: datetime | None = None) -> Activity | None:
        """Return the latest inbound reply or email (after `after`, when given)."""
        replies = [
            a
            for a in self.state.activities
            if a.direction == "inbound"
            and a.kind in ("reply", "email", "message")
            and (after is None or a.at > after)
            and a.at <= self.now
        ]
        return max(replies, key=lambda a: a.at) if replies else None

    def thread(self, recipients: list[Contact | Rep]) -> list[str]:
        """Return the Message-IDs of our earlier emails to any of `recipients`, oldest first."""
        emails = {p.email.lower() for p in recipients if p.email}
        sent: list[tuple[datetime, str]] = []
        # receipts live in the CRM, not the state: the state's actions hold their keys
        for action in self.state.proposed_actions:
            if action.kind != "send_email" or action.status != "executed":
                continue
            receipt = self.deps.crm.get_receipt(action.idempotency_key)
            if receipt is None or receipt.status != "done":
                continue
            args = (action.decision.edited_args if action.decision else None) or action.args
            to = {str(t).lower() for t in [*args.get("to", []), *args.get("cc", [])]}
            if any(any(e in t for t in to) for e in emails):
                message_id = str(receipt.result.get("message_id") or "")
                if message_id:
                    sent.append((receipt.executed_at, message_id))
        return [m for _, m in sorted(sent)]

    # ---- proposing

    def has(self, kind: str, discriminator: str = "") -> bool:
        key = idempotency_key(self.state.deal_id, self.state.event_id, kind, discriminator)
        return key in self.existing or any(a.idempotency_key == key for a in self.new)

    def add(
        self, kind: str, args: dict[str, Any], description: str, discriminator: str = ""
    ) -> None:
        if self.has(kind, discriminator):
            return
        self.new.append(
            propose(
                self.state,
                kind=kind,
                args=args,
                description=description,
                proposed_by=STEP,
                discriminator=discriminator,
            )
        )

    def slack(self, channel: str, text: str, description: str, discriminator: str = "") -> None:
        if self.has("post_slack", discriminator):
            return
        self.engines.append(TEMPLATE_ENGINE)
        self.add("post_slack", {"channel": channel, "text": text}, description, discriminator)

    def email(
        self,
        *,
        prompt: str,
        to: list[Contact | Rep],
        sender: Rep,
        sheet: FactSheet,
        template: Callable[[], EmailDraft],
        description: str,
        cc: list[str] | None = None,
        customer: bool = True,
        attachments: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        """Draft one email (the template, or one model call checked against the sheet)."""
        if self.has("send_email", prompt) or self.has("create_task", f"no-email:{prompt}"):
            return
        notes = list(notes or [])
        if customer:
            demoted = sheet.sanitize()
            if demoted:
                logger.info("%s: %d call facts kept internal", self.deal_id, len(demoted))
        edits = learned_edits(self.deps.crm, "send_email", sender)
        prefs = preferences(edits, sign_off_default=SIGN_OFF)
        base = template()
        draft = EmailDraft(
            subject=base.subject, body=prefs.apply(base.body, sign_off_default=SIGN_OFF)
        )
        recipients = [p for p in to if p.email]
        if not recipients:
            self._no_address(prompt, to, sender, draft, description)
            return
        names = " and ".join(_first_name(p.name) for p in recipients)
        result, engine = self.llm.structured(
            step=f"{STEP}.{prompt}",
            prompt=f"copilot/{prompt}",
            schema=EmailDraft,
            variables={
                "sender_name": sender.name,
                "company": self.company,
                "product": self.product,
                "recipient_name": names,
                "account_name": self.account_name,
                "facts": sheet.render("customer" if customer else "internal"),
                "draft_subject": draft.subject,
                "draft_body": draft.body,
                "examples": examples(edits),
            },
            offline=lambda: draft,
            offline_engine=TEMPLATE_ENGINE,
        )
        subject, body = _clean_subject(result.subject), result.body.strip()
        if engine.startswith("llm:"):
            problems = check_draft(subject, body, sheet, trace=customer) if customer else []
            if not problems and len(body.split()) > self.policy.max_body_words:
                problems.append(
                    f"{len(body.split())} words, over the policy's {self.policy.max_body_words}"
                )
            if problems:
                logger.warning("%s: model %s draft rejected: %s", self.deal_id, prompt, problems)
                notes.append("model draft replaced by the template: " + "; ".join(problems[:3]))
                subject, body = _clean_subject(draft.subject), draft.body
                engine = f"{TEMPLATE_ENGINE} (fallback: model draft failed the fact check)"
        if customer:
            leaks = find_terms(f"{subject}\n{body}", sheet.forbidden_terms())
            if leaks:
                notes.append(f"draft mentions internal terms {leaks}; edit before sending")
        if customer and len(body.split()) > self.policy.max_body_words:
            notes.append(
                f"{len(body.split())} words, over the policy's {self.policy.max_body_words}"
            )
        subject = _clip(subject, self.policy.max_subject_chars).rstrip("…").strip()
        self.engines.append(engine)
        args: dict[str, Any] = {
            "to": [_address(p) for p in recipients],
            "cc": list(cc or []),
            "from": _address(sender),
            "subject": subject or draft.subject,
            "body": body or draft.body,
        }
        thread = self.thread(recipients)
        if thread:
            args["in_reply_to"] = thread[-1]
            args["references"] = thread
        if attachments:
            args["attachments"] = list(attachments)
        missing = [p.name for p in to if not p.email]
        if missing:
            notes.append(f"no email address for {', '.join(missing)}")
        self.add("send_email", args, _with_notes(description, notes), prompt)
        key = idempotency_key(self.state.deal_id, self.state.event_id, "send_email", prompt)
        for observe in SHEET_OBSERVERS:
            observe(key, sheet)

    def _no_address(
        self,
        prompt: str,
        to: list[Contact | Rep],
        sender: Rep,
        draft: EmailDraft,
        description: str,
    ) -> None:
        """Propose a task carrying the draft when no recipient has an email address."""
        who = ", ".join(p.name for p in to) or "the customer"
        title = f"Find an email address for {who} and send the {prompt.replace('_', '-')} email"
        self.engines.append(TEMPLATE_ENGINE)
        self.add(
            "create_task",
            {
                "deal_id": self.deal_id,
                "title": title,
                "owner_id": sender.id,
                "due": self.now.date().isoformat(),
                "notes": f"The CRM has no email address for {who}, so nothing can be sent yet. "
                f"The draft:\n\nSubject: {draft.subject}\n\n{draft.body}",
                "created_at": self.now.isoformat(),
            },
            _with_notes(f"Task for {sender.name}: {title}", [f"no email address for {who}"]),
            f"no-email:{prompt}",
        )
        logger.info("%s: no recipient email for %s; a task carries the draft", self.deal_id, prompt)


def _clean_subject(subject: str) -> str:
    return " ".join(subject.split())


def _with_notes(description: str, notes: list[str]) -> str:
    notes = list(dict.fromkeys(n for n in notes if n))
    return f"{description}. Review: {'; '.join(notes)}" if notes else description


def _base_sheet(p: _Proposer, sender: Rep | None) -> FactSheet:
    """Return a sheet with the facts every customer email shares, internal ones included."""
    sheet = FactSheet()
    state = p.state
    sheet.add(
        f"{p.company} sells {p.product}.", audience="customer", source="policy", ref="company"
    )
    if state.account is not None:
        sheet.add(f"Account: {state.account.name}", audience="customer", source="crm",
                  ref=f"crm:account/{state.account.id}")  # fmt: skip
    for contact in state.contacts:
        line = contact.name + (f", {contact.title}" if contact.title else "")
        sheet.add(line, audience="customer", source="crm", ref=f"crm:contact/{contact.id}")
    if sender is not None:
        title = _ROLE_TITLES.get(sender.role, "")
        sheet.add(
            f"Sender: {sender.name}, {title} at {p.company} ({sender.email})",
            audience="customer",
            source="crm",
            ref=f"crm:rep/{sender.id}",
        )
    score = state.score
    if score is not None:
        sheet.add(
            f"Win probability {score.probability:.0%} (band {score.band})",
            audience="internal",
            source="score",
            terms=[f"{score.probability:.0%}", f"band {score.band}"],
        )
        for factor in score.factors:
            sheet.add(f"Score factor: {factor.label}", audience="internal", source="score")
    for risk in state.risks:
        sheet.add(f"Risk: {risk.message}", audience="internal", source="score",
                  terms=[risk.message])  # fmt: skip
    competitors = list(p.deps.policy.meetings.competitors)
    for meeting in state.meetings:
        competitors += [h.tracker for h in meeting.competitors]
        shares = [f"{v:.0%}" for v in meeting.talk_ratio.values()]
        sheet.add(f"Talk share: {', '.join(shares)}", audience="internal", source="call",
                  terms=["talk share"])  # fmt: skip
    if competitors:
        sheet.add(
            f"Competitors: {', '.join(dict.fromkeys(competitors))}",
            audience="internal",
            source="call",
            terms=list(dict.fromkeys(competitors)),
        )
    if state.lead is not None and state.lead.signals:
        signals = ", ".join(f"{k}={v}" for k, v in state.lead.signals.items())
        sheet.add(
            f"Tracking signals: {signals}",
            audience="internal",
            source="signal",
            terms=list(state.lead.signals),
        )
    risk_policy = p.deps.policy.risk
    sheet.add(
        f"Policy: at risk below {risk_policy.at_risk_below:.0%}",
        audience="internal",
        source="policy",
        terms=[f"{risk_policy.at_risk_below:.0%}"],
    )
    return sheet


# --------------------------------------------------------------------------- lead_created


def _assign_owner(p: _Proposer) -> None:
    assignment = p.state.assignment
    if assignment is not None:
        p.add(
            "assign_owner",
            {
                "deal_id": p.deal_id,
                "rep_id": assignment.rep_id,
                "rep_name": assignment.rep_name,
                "reason": assignment.reason,
            },
            f"Assign {p.deal_name} to {assignment.rep_name} (rule: {assignment.rule})",
        )


def _score_factors(p: _Proposer) -> str:
    """Return the score's factors, strongest first, as the notice and the CRM show them."""
    score = p.state.score
    if score is None:
        return ""
    ranked = sorted((f for f in score.factors if round(f.points) != 0), key=lambda f: -f.points)
    return "; ".join(f"{f.label} ({f.points:+.0f} pts)" for f in ranked)


def _lead_first_request(p: _Proposer) -> None:
    """Propose a new lead's routing actions only: assign the owner, tell the rep.

    Under `speed_to_lead` these make the lead's first request, asked right after scoring
    and routing; `_lead_created` proposes the rest (the CRM score fields, the first-touch
    email) once research has run, and skips these two by their idempotency keys.
    """
    _assign_owner(p)
    rep = p.rep
    if rep is None:
        logger.info("%s: no rep found for the assignment; no notice", p.deal_id)
        return
    _notify_new_lead(p, rep, p.lead_contact, _score_factors(p))


def _lead_created(p: _Proposer) -> None:
    state = p.state
    _assign_owner(p)
    rep = p.rep
    contact = p.lead_contact
    score = state.score
    factors = _score_factors(p)
    if score is not None:
        p.add(
            "update_crm",
            {
                "deal_id": p.deal_id,
                "fields": {
                    "lead_score": round(score.probability * 100),
                    "score_band": score.band,
                    "score_factors": factors,
                },
            },
            f"Update CRM deal {p.deal_id}: lead score {score.probability:.0%} "
            f"(band {score.band}) and its top factors",
        )
    if rep is None:
        logger.info("%s: no rep found for the assignment; no notice or email", p.deal_id)
        return
    _notify_new_lead(p, rep, contact, factors)
    if contact is not None:
        _first_touch(p, rep, contact)


def _notify_new_lead(p: _Proposer, rep: Rep, contact: Contact | None, factors: str) -> None:
    state = p.state
    notify = p.deps.policy.routing.notify
    if notify == "none":
        return
    who = contact.name if contact else "a new contact"
    if contact and contact.title:
        who += f" ({contact.title})"
    lines = [f"New lead for you, {_first_name(rep.name)}: {who} at {p.account_name}."]
    if state.score is not None:
        lines.append(
            f"Score: {state.score.probability:.0%} (band {state.score.band})."
            + (f" Top factors: {factors}." if factors else "")
        )
    if state.brief is not None:
        lines.append(f"Brief: {state.brief.headline}")
    held = state.assignment.held_until if state.assignment else None
    if held is not None:
        lines.append(
            f"It arrived outside working hours and is held for you until "
            f"{held.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
        )
    if state.lead is not None and state.event is not None:
        minutes = max(0, int((state.event.at - state.lead.created_at).total_seconds() // 60))
        lines.append(
            f"Speed-to-lead: {minutes} min since the {state.lead.source.replace('_', ' ')} "
            f"at {state.lead.created_at.astimezone(UTC):%H:%M} UTC."
        )
    deal = state.deal
    if deal is not None:
        amount = f", {_money(deal.amount, p.currency)}" if deal.amount is not None else ""
        lines.append(f"Deal {deal.id}: {deal.name}{amount}.")
    if state.deferred:  # the notice goes out first (speed_to_lead); research follows
        lines.append("The account brief and a first-touch email draft follow for approval.")
    else:
        lines.append("A first-touch email draft is waiting for your approval.")
    text = "\n".join(lines)
    if notify == "slack" and rep.slack:
        p.slack(
            rep.slack,
            text,
            f"Slack {rep.name} ({rep.slack}): new lead {p.account_name}",
            NEW_LEAD_NOTICE,
        )
        return
    sender = p.manager or rep
    p.engines.append(TEMPLATE_ENGINE)
    p.add(
        "send_email",
        {
            "to": [rep.email],
            "cc": [],
            "from": sender.email,
            "subject": f"New lead: {who} at {p.account_name}",
            "body": text,
        },
        f"Email {rep.name}: new lead {p.account_name}",
        NEW_LEAD_NOTICE,
    )


def _public_claim(brief: AccountBrief | None, profile: ProductProfile) -> str | None:
    """Return a verified public claim (filings, web) relevant to what we sell, attributed.

    Chosen by `research.reuse.customer_safe_claims` (never CRM history); a claim written in
    the first person (a filing's "we") is skipped, since it would read as ours.
    """
    for safe in customer_safe_claims(brief, profile):
        if not has_first_person(safe.text):
            return safe.attributed
    return None


def _first_touch(p: _Proposer, rep: Rep, contact: Contact) -> None:
    state = p.state
    lead = state.lead
    signals = lead.signals if lead else {}
    source = lead.source if lead else ""
    claim = _public_claim(state.brief, p.deps.policy.research.product_profile)
    sheet = _base_sheet(p, rep)
    sheet.add("Offer: a 30-minute call this week or next", audience="customer",
              source="template")  # fmt: skip
    if claim:
        sheet.add(claim, audience="customer", source="brief", ref="public claim")
    if state.brief is not None:
        for c in state.brief.claims:
            if c.text.strip() not in (claim or ""):
                sheet.add(c.text, audience="internal", source="brief")

    def template() -> EmailDraft:
        first = _first_name(contact.name)
        if source in ("demo_request",) or signals.get("demo_requested") in (True, 1, "true"):
            opening = f"Thank you for requesting a demo of {p.product}."
            subject = f"Your {p.product} demo, {first}"
        elif source == "webinar" or signals.get("webinar_attended") in (True, 1, "true"):
            opening = f"Thank you for joining our webinar on {p.product}."
            subject = f"Following up on the {p.company} webinar"
        elif source == "content_download":
            opening = "Thank you for downloading our guide."
            subject = f"{p.product} for {p.account_name}"
        else:
            opening = f"Thank you for your interest in {p.product}."
            subject = f"{p.product} for {p.account_name}"
        intro = (
            f"I'm {rep.name}, and I'll be your contact at {p.company}."
            if rep.role != "queue"
            else f"Someone from our team at {p.company} will be your contact."
        )
        paragraphs = [f"Hi {first},", f"{opening} {intro}"]
        if claim:
            news = re.sub(r"\btoday (?=announced\b)", "", claim)
            named = news.startswith(p.account_name.split()[0])
            paragraphs.append(f"I read that {news if named else lower_first(news)}")
        paragraphs.append(
            "Would you have 30 minutes this week or next? I'd like to understand how your team "
            f"works today and show you what {p.product} could change. If another time suits "
            "you better, just tell me."
        )
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(subject=subject, body="\n\n".join(paragraphs))

    p.email(
        prompt="first_touch",
        to=[contact],
        sender=rep,
        sheet=sheet,
        template=template,
        notes=["the lead sits in a queue: pick a named sender"] if rep.role == "queue" else [],
        description=f"Email {contact.name}: first touch after the {source.replace('_', ' ')}"
        if source
        else f"Email {contact.name}: first touch",
    )


# --------------------------------------------------------------------------- meeting_completed


def _meeting_completed(p: _Proposer) -> None:
    state = p.state
    meeting = state.meeting
    if meeting is None:
        return
    when_ = meeting.call_date
    if meeting.crm_notes:
        p.add(
            "update_crm",
            {"deal_id": p.deal_id, "fields": dict(meeting.crm_notes)},
            f"Update CRM deal {p.deal_id} with the call notes: {', '.join(meeting.crm_notes)}",
        )
    if meeting.summary:
        note = meeting.summary
        if str(when_) not in note:
            note = f"Call {meeting.call_id} on {when_}: {note}"
        p.add(
            "log_note",
            {"deal_id": p.deal_id, "text": note},
            f"Log a note on deal {p.deal_id}: summary of the {when_} call",
        )
    deal = state.deal
    if deal is not None and deal.stage in ("new", "qualified"):
        if "discovery" in p.deps.policy.stages:
            p.add(
                "change_stage",
                {
                    "deal_id": p.deal_id,
                    "stage": "discovery",
                    "reason": f"Discovery call held on {when_}",
                    "at": p.now.isoformat(),
                },
                f"Move deal {p.deal_id} from {deal.stage} to discovery (call on {when_})",
            )
    rep = p.rep
    if rep is None:
        logger.info("%s: no rep found; no follow-up email, tasks or invites", p.deal_id)
        return
    attendees = p.attendees(meeting)
    invites = _call_invites(p, meeting, rep, attendees)
    _follow_up(p, meeting, rep, attendees, invites)
    for commitment in meeting.commitments:
        title = _commitment_title(commitment)
        due = _due(commitment)
        notes = f'{commitment.owner} committed on the {when_} call: "{commitment.quote.text}"'
        if commitment.side != "rep":
            notes += " Follow up if it has not happened by the due date."
        p.add(
            "create_task",
            {
                "deal_id": p.deal_id,
                "title": title,
                "owner_id": rep.id,
                "due": due.isoformat() if due else None,
                "notes": notes,
                "created_at": p.now.isoformat(),
            },
            f"Task for {rep.name}: {title}" + (f" (due {due})" if due else ""),
            _commitment_key(commitment),
        )
    for invite in invites:
        p.add("send_invite", invite.args, invite.description, invite.key)


def _commitment_key(commitment: Commitment) -> str:
    return f"commitment:{commitment.side}:{commitment.owner}:{commitment.text}"


class _Invite:
    """A proposed invite, with the line the email says about it."""

    def __init__(self, args: dict[str, Any], description: str, key: str, line: str) -> None:
        self.args = args
        self.description = description
        self.key = key
        self.line = line


def _slot(
    p: _Proposer, day: date, recipient: Contact | Rep | None, others: list[Contact | Rep],
    minutes: int,
) -> tuple[datetime, Zone, list[str]]:  # fmt: skip
    """Return a start inside everyone's working hours, the recipient's zone, and notes."""
    zone = p.zone(recipient)
    notes = [zone.note] if zone.note else []
    people: list[tuple[Any, tuple[int, int]]] = []
    for person in others:
        z = p.zone(person)
        if z.note:
            notes.append(z.note)
        hours = person.working_hours if isinstance(person, Rep) else p.policy.contact_working_hours
        people.append((z.tz, hours))
    hours = (
        recipient.working_hours if isinstance(recipient, Rep) else p.policy.contact_working_hours
    )
    start, fits = call_slot(
        day,
        minutes=minutes,
        recipient=(zone.tz, hours),
        others=people,
        prefer_hour=p.policy.meeting_hour,
    )
    if not fits:
        notes.append("no time inside everyone's working hours; check the proposed time")
    return start, zone, list(dict.fromkeys(notes))


def _call_invites(
    p: _Proposer, meeting: MeetingInsights, rep: Rep, attendees: list[Contact]
) -> list[_Invite]:
    """Return invites for customer-committed calls on a date, inside everyone's hours."""
    invites: list[_Invite] = []
    for commitment in meeting.commitments:
        due = _due(commitment)
        if commitment.side != "customer" or due is None:
            continue
        if not _MEETING_WORDS.search(f"{commitment.text} {commitment.title or ''}"):
            continue
        named = [
            c
            for c in _named_contacts(
                f"{commitment.text} {commitment.title or ''}", p.state.contacts
            )
            if c.email and not _matches_person(commitment.owner, c)
        ]
        people = list({c.id: c for c in [*attendees, *named] if c.email}.values())
        recipient: Contact | None = people[0] if people else None
        start, zone, notes = _slot(p, due, recipient, [rep, *people[1:]], CALL_MINUTES)
        end = start + timedelta(minutes=CALL_MINUTES)
        if named:
            title = f"{p.account_name} / {p.company}: call with {', '.join(c.name for c in named)}"
        else:
            title = f"{p.account_name} / {p.company}: follow-up call"
        description = (
            f"Agreed on our {_day(meeting.call_date)} call: {commitment.owner} to "
            f"{_commitment_text(commitment)}.\n\nTime: {when(start, zone.tz)}."
        )
        args = {
            "title": title,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "attendees": [_address(rep), *[_address(c) for c in people]],
            "organizer": _address(rep),
            "description": description,
            "timezone": zone.name,
        }
        who = ", ".join(c.name for c in people) or "the customer"
        line = f"I've sent an invite for {when(start, zone.tz)}" + (
            " (your time)" if recipient is not None else ""
        )
        invites.append(
            _Invite(
                args,
                _with_notes(f"Invite {who} to '{title}' on {when(start, zone.tz)}", notes),
                _commitment_key(commitment),
                line,
            )
        )
    return invites


def _request_line(request: CallRequest) -> str:
    """Return one request, restated, with the answer given on the call."""
    answer = request.answer.strip()
    if answer and len(answer.split()) <= 2 and not answer.lower().startswith(("yes", "no")):
        answer = ""  # "Will do." says nothing a reader needs
    if request.kind == "question":
        head = f"You asked {restate_question(request.text)}"
        return f"{head}: {lower_first(answer)}" if answer else f"{head}; I'll answer it in writing."
    if request.kind == "need":
        head = (
            f"On your {request.topic} integration"
            if request.topic.isupper()
            else (f"On {request.topic}")
        )
        return f"{head}: {lower_first(answer)}" if answer else f"{head}, I'll follow up."
    if request.kind == "answer":
        match = re.match(
            r"^when (?:would|do|will) you (?:ideally )?(?:want|need|like) (.+?)\??$",
            request.prompt.strip(),
            re.I,
        )
        said = _sentences(request.text)
        if match and said:
            text = f"You'd like {match.group(1)} {lower_first(said[0])}"
            return sentence(text) + (f" {answer}" if answer else "")
        if said and re.match(r"^(a|an|the)\s", said[0], re.I) and len(said[0].split()) <= 8:
            rest = " ".join(restate(s) for s in said[1:])
            text = sentence(f"You also asked for {lower_first(said[0])}") + (
                f" {rest}" if rest else ""
            )
            return text + (f" {answer}" if answer else "")
        return " ".join(restate(s) for s in said) + (f" {answer}" if answer else "")
    text = restate(request.text)
    promise = re.sub(r"\bso (put|include|add|send|share)\b", r"so I'll \1", text)
    promise = re.sub(
        r"^(Put|Include|Add|Send|Share)\b", lambda m: f"I'll {m.group(1).lower()}", promise
    )
    if promise != text:
        return promise
    if re.search(r"\b(?:you|your team) (?:need|want|'d want|would want)\b", text, re.I):
        return sentence(text.rstrip(".")) + " I'll make sure what I send covers it."
    return text + (f" {answer}" if answer else "")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s.strip()]


def _commitment_sentence(commitment: Commitment, recipients: list[Contact]) -> str:
    """Return a commitment as a sentence to the recipient ("I'll send ... by Friday 6 ...")."""
    text = _commitment_text(commitment)
    due = _due(commitment)
    by = f" by {_day(due)}" if due else ""
    if commitment.side == "rep":
        return sentence(f"I'll {text}{by}")
    owner = commitment.owner
    if any(_matches_person(owner, c) for c in recipients) and len(recipients) == 1:
        return sentence(f"You'll {swap_person(text)}{by}")
    return sentence(f"{_first_name(owner)} will {text}{by}")


def _follow_up(
    p: _Proposer,
    meeting: MeetingInsights,
    rep: Rep,
    attendees: list[Contact],
    invites: list[_Invite],
) -> None:
    if not attendees:
        return
    sheet = _base_sheet(p, rep)
    terms = sheet.forbidden_terms()
    call = f"call:{meeting.call_id}"

    def safe(text: str) -> bool:
        return not find_terms(text, terms)

    pains = [restate(i.text) for i in meeting.pains if safe(i.text)]
    concerns = [restate_concern(i.text) for i in meeting.objections if safe(i.text)]
    keyword_trackers = {
        name: list(words)
        for name, words in p.deps.policy.meetings.keyword_trackers.items()
        if name in ("security", "integration")
    }
    requests = [
        r
        for r in call_requests(_transcript_text(p), meeting.speakers, trackers=keyword_trackers)
        if safe(f"{r.text} {r.answer}")
    ]
    request_lines = [_request_line(r) for r in requests]
    commitments = [_commitment_sentence(c, attendees) for c in meeting.commitments]
    promised = [f"{c.text} {c.quote.text}" for c in meeting.commitments if c.side == "rep"] + [
        f"{r.text} {r.answer}" for r in requests
    ]
    materials = materials_for(promised, p.policy)
    notes: list[str] = []
    attachments = [str(m.path) for m in materials if m.path is not None and m.available]
    material_lines = _material_lines(materials, notes)

    sheet.add(f"Call on {_day(meeting.call_date)}", audience="customer", source="call", ref=call)
    for text in [*pains, *concerns, *request_lines, *commitments]:
        sheet.add(text, audience="customer", source="call", ref=call)
    for invite in invites:
        sheet.add(invite.line, audience="customer", source="template")
    for line in material_lines:
        sheet.add(line, audience="customer", source="policy", ref="collateral")
    _add_quotes(sheet, meeting)

    def template() -> EmailDraft:
        names = " and ".join(_first_name(c.name) for c in attendees)
        paragraphs = [f"Hi {names},", "Thank you for your time today."]
        if pains:
            paragraphs.append(
                "Here is what I took away, so we work from the same picture:\n"
                + "\n".join(f"- {t}" for t in pains)
            )
        if concerns:
            paragraphs.append(
                "You also raised concerns, and I'll address each of them in the proposal:\n"
                + "\n".join(f"- {t}" for t in concerns)
            )
        if request_lines:
            paragraphs.append(
                "Your questions and requests:\n" + "\n".join(f"- {t}" for t in request_lines)
            )
        if material_lines:
            paragraphs.append("\n".join(material_lines))
        if commitments or invites:
            steps = [f"- {t}" for t in commitments]
            steps += [f"- {i.line}; move it if another time works better." for i in invites]
            paragraphs.append("Next steps:\n" + "\n".join(steps))
        paragraphs.append("If I missed or misread anything, tell me and I'll correct it.")
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(
            subject=f"Our call today: recap and next steps for {p.account_name}",
            body="\n\n".join(paragraphs),
        )

    p.email(
        prompt="follow_up",
        to=list(attendees),
        sender=rep,
        sheet=sheet,
        template=template,
        attachments=attachments,
        notes=notes,
        description=f"Email {', '.join(c.name for c in attendees)}: follow-up after the "
        f"{meeting.call_date} call",
    )


def _add_quotes(sheet: FactSheet, meeting: MeetingInsights) -> None:
    """Put the customer's own first-person words on the sheet as internal `quote` facts."""
    for insight in [*meeting.pains, *meeting.objections, *meeting.triggers]:
        for text in (insight.text, insight.quote.text):
            if has_first_person(text):
                sheet.add(text, audience="internal", source="call", ref=f"quote:{meeting.call_id}")


def _material_lines(materials: list[Material], notes: list[str]) -> list[str]:
    lines: list[str] = []
    for material in materials:
        item = material.item
        if material.path is not None and material.available:
            lines.append(f"I've attached our {item.name}.")
        elif material.path is not None:
            lines.append(f"I'll send our {item.name} separately.")
            notes.append(f"collateral file missing: {material.path}")
        elif item.url:
            lines.append(f"Our {item.name}: {item.url}")
    return lines


# --------------------------------------------------------------------------- pipeline_review


def _pipeline_review(p: _Proposer) -> None:
    state = p.state
    score = state.score
    if not state.risks or score is None:
        return
    if score.probability >= p.deps.policy.risk.at_risk_below:
        return
    reply = p.latest_reply()
    if reply is not None and reply.at > score.scored_at:
        # the score predates the customer's latest reply: it must be rescored before a draft
        logger.info("%s: reply after the last score; rescore before drafting", p.deal_id)
        return
    rep = p.rep
    if rep is None:
        logger.info("%s: at risk but no rep found; nothing proposed", p.deal_id)
        return
    champion = p.champion
    meeting = p.latest_meeting
    if champion is not None:
        _re_engagement(p, rep, champion, meeting)
    previous = next(
        (
            point.probability
            for point in reversed(state.score_history)
            if abs(point.probability - score.probability) > 1e-9
        ),
        None,
    )
    change = (
        f"{previous:.0%} → {score.probability:.0%}"
        if previous is not None
        else f"now {score.probability:.0%}"
    )
    deal = state.deal
    facts = [f"{p.deal_id}"]
    if deal is not None:
        if deal.amount is not None:
            facts.append(_money(deal.amount, p.currency))
        if deal.close_date is not None:
            facts.append(f"closes {deal.close_date}")
    lines = [
        f"Deal at risk: {p.deal_name} ({', '.join(facts)}), owner {rep.name}.",
        _probability_line(change, score.probability, score.reason),
        "Risks:",
        *[f"• [{r.severity}] {r.message}" for r in state.risks],
    ]
    if champion is not None and champion.email:
        lines.append(
            f"A re-engagement email to {champion.name} is waiting for {rep.name}'s approval."
        )
    manager = p.manager
    channel = manager.slack if manager and manager.slack else rep.slack
    if channel:
        who = manager.name if manager and manager.slack else rep.name
        p.slack(
            channel,
            "\n".join(lines),
            f"Slack {who} ({channel}): {p.deal_name} is at risk ({change})",
        )


def _probability_line(change: str, probability: float, reason: str) -> str:
    """Return the win-probability line, without repeating a change the reason already states."""
    reason = reason.strip()
    if not reason:
        return f"Win probability {change}."
    if f"{probability:.0%}" in reason:
        return f"Win probability: {_sentence(reason)}"
    return f"Win probability {change}. {_sentence(reason[:1].upper() + reason[1:])}"


def _sentence(text: str) -> str:
    return sentence(text)


def commitment_status(
    commitment: Commitment,
    *,
    call_date: date,
    activities: list[Activity],
    contacts: list[Contact],
    today: date,
) -> str:
    """Return `done`, `superseded`, `overdue` or `open` for a commitment made on a call.

    Done: a later activity (an email we sent, a reply) names what was promised ("the
    proposal") or, for a commitment to bring someone in, that person. Superseded: a customer
    commitment whose date has passed. Overdue: a rep commitment past its date and not done.
    """
    later = [
        a
        for a in activities
        if a.at.date() >= call_date and a.kind in ("email", "reply", "message", "call")
    ]
    words = _content_words(_commitment_text(commitment))
    named = [c for c in _named_contacts(commitment.text, contacts)]
    for activity in later:
        text = activity.summary.lower()
        if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            if activity.direction == "inbound" or commitment.side == "rep":
                return "done"
        if (
            commitment.side != "rep"
            and any(
                re.search(rf"\b{re.escape(_first_name(c.name))}\b", activity.summary, re.I)
                for c in named
            )
            and activity.direction == "inbound"
        ):
            return "done"
    due = _due(commitment)
    if due is not None and due < today:
        return "overdue" if commitment.side == "rep" else "superseded"
    return "open"


def _re_engagement(
    p: _Proposer, rep: Rep, champion: Contact, meeting: MeetingInsights | None
) -> None:
    today = p.now.date()
    sheet = _base_sheet(p, rep)
    terms = sheet.forbidden_terms()
    last_call = (
        datetime.combine(meeting.call_date, datetime.min.time(), tzinfo=UTC) if meeting else None
    )
    reply = p.latest_reply(after=last_call)
    gist = _reply_gist(reply, p.state.contacts) if reply is not None else ""
    if gist and find_terms(gist, terms):
        gist = ""
    statuses: list[tuple[Commitment, str]] = []
    if meeting is not None:
        statuses = [
            (
                c,
                commitment_status(
                    c,
                    call_date=meeting.call_date,
                    activities=p.state.activities,
                    contacts=p.state.contacts,
                    today=today,
                ),
            )
            for c in meeting.commitments
        ]
    overdue = [c for c, s in statuses if s == "overdue"]
    open_steps = [c for c, s in statuses if s == "open"]
    pain = next(
        (
            restate(i.text)
            for i in (meeting.pains if meeting else [])
            if not find_terms(i.text, terms)
        ),
        None,
    )
    others: list[Contact] = []
    for c in [*(meeting.commitments if meeting else [])]:
        others += [n for n in _named_contacts(c.text, p.state.contacts) if n.id != champion.id]
    if reply is not None:
        others += [
            n for n in _named_contacts(reply.summary, p.state.contacts) if n.id != champion.id
        ]
    other_names = list(dict.fromkeys(_first_name(c.name) for c in others))
    promised = [f"{c.text} {c.quote.text}" for c in overdue]
    materials = materials_for(promised, p.policy) if promised else []
    notes: list[str] = []
    attachments = [str(m.path) for m in materials if m.path is not None and m.available]
    delivered = {id(c) for c in overdue if materials_for([f"{c.text} {c.quote.text}"], p.policy)
                 and attachments}  # fmt: skip
    zone = p.zone(champion)
    if zone.note:
        notes.append(zone.note)
    start_day = business_days_after(today, 1)
    slots: list[datetime] = []
    for offset in range(2):
        day = business_days_after(start_day, offset) if offset else start_day
        slot, _, slot_notes = _slot(p, day, champion, [rep], 20)
        notes += slot_notes
        slots.append(slot)

    reply_line = ""
    if reply is not None and gist:
        reply_line = f"Thank you for your note on {_day(reply.at.astimezone(zone.tz).date())}"
        if gist.startswith("you're"):
            reply_line += f"; good to hear {gist}."
        else:  # not a clause we can restate safely: thank, and ask the rep to answer it
            reply_line += "."
            notes.append(f"answer their reply: {_clip(reply.summary if reply else '', 80)!r}")
    overdue_lines = []
    for c in overdue:
        due = _due(c)
        what = _commitment_text(c)
        if id(c) in delivered:
            overdue_lines.append(
                sentence(f"Here is what I promised for {_day(due)}: I've attached it ({what})")
                if due
                else sentence(f"I've attached what I promised: {what}")
            )
        else:
            by = business_days_after(today, 1)
            overdue_lines.append(
                f"I'm sorry: I promised to {what}"
                + (f" by {_day(due)}" if due else "")
                + f" and haven't yet. You'll have it by {_day(by)}."
            )
    step_lines = [_commitment_sentence(c, [champion]) for c in open_steps]
    together = f"you and {' and '.join(other_names)}" if other_names else "you"
    slot_text = " or ".join(when(s, zone.tz) for s in slots)
    offer = (
        f"Would a 20-minute call help, to walk {together} through the proposal and answer "
        f"open questions? {upper_first(slot_text)} would work on my side (your time)."
    )
    sheet.add(offer, audience="customer", source="template")
    if reply_line:
        sheet.add(reply_line, audience="customer", source="reply")
    for line in [*overdue_lines, *step_lines]:
        sheet.add(line, audience="customer", source="call")
    if meeting is not None:
        sheet.add(f"Call on {_day(meeting.call_date)}", audience="customer", source="call")
    if pain:
        sheet.add(pain, audience="customer", source="call")
    if meeting is not None:
        _add_quotes(sheet, meeting)
    for c, status in statuses:
        if status in ("done", "superseded"):
            sheet.add(f"{status}: {c.text}", audience="internal", source="call")

    def template() -> EmailDraft:
        paragraphs = [f"Hi {_first_name(champion.name)},"]
        paragraphs.append(reply_line or "I wanted to check in on where things stand.")
        if overdue_lines:
            paragraphs.append(" ".join(overdue_lines))
        if meeting is not None and pain and not reply_line:
            paragraphs.append(
                f"When we spoke on {_day(meeting.call_date)}, you told me: {lower_first(pain)}"
            )
        if step_lines:
            paragraphs.append(
                "Still open from our call:\n" + "\n".join(f"- {t}" for t in step_lines)
            )
        paragraphs.append(offer)
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(
            subject=f"Next steps for {p.account_name} and {p.product}",
            body="\n\n".join(paragraphs),
        )

    p.email(
        prompt="re_engagement",
        to=[champion],
        sender=rep,
        sheet=sheet,
        template=template,
        attachments=attachments,
        notes=notes,
        description=f"Email {champion.name}: re-engage the quiet deal {p.deal_name}",
    )


# --------------------------------------------------------------------------- deal_closed


def _deal_closed(p: _Proposer) -> None:
    state = p.state
    event = state.event
    assert event is not None
    deal = state.deal
    outcome = event.payload.get("outcome") or (deal.outcome if deal else None)
    closed_at = event.at
    closed = closed_at.date()
    stages = p.deps.policy.stages
    if outcome == "won":
        amount = event.payload.get("amount")
        if amount is None and deal is not None:
            amount = deal.amount
        money = _money(amount, p.currency)
        if "closed_won" in stages and (deal is None or deal.stage != "closed_won"):
            p.add(
                "change_stage",
                {
                    "deal_id": p.deal_id,
                    "stage": "closed_won",
                    "reason": f"Won on {closed} at {money}",
                    "at": closed_at.isoformat(),
                },
                f"Move deal {p.deal_id} to closed_won (won on {closed} at {money})",
            )
        p.add(
            "update_crm",
            {
                "deal_id": p.deal_id,
                "fields": {"amount": amount, "closed_at": closed_at.isoformat()},
            },
            f"Update CRM deal {p.deal_id}: amount {money}, closed at {closed_at.isoformat()}",
        )
        _handoff(p, amount, closed)
    elif outcome == "lost":
        reason = str(event.payload.get("reason") or "not given")
        if "closed_lost" in stages and (deal is None or deal.stage != "closed_lost"):
            p.add(
                "change_stage",
                {
                    "deal_id": p.deal_id,
                    "stage": "closed_lost",
                    "reason": f"Lost: {reason}",
                    "at": closed_at.isoformat(),
                },
                f"Move deal {p.deal_id} to closed_lost (lost on {closed}: {reason})",
            )
        p.add(
            "update_crm",
            {
                "deal_id": p.deal_id,
                "fields": {"loss_reason": reason, "closed_at": closed_at.isoformat()},
            },
            f"Update CRM deal {p.deal_id}: loss reason '{reason}'",
        )
        p.add(
            "log_note",
            {"deal_id": p.deal_id, "text": f"Closed lost on {closed}. Reason: {_sentence(reason)}"},
            f"Log a note on deal {p.deal_id}: closed lost ({reason})",
        )


def _handoff(p: _Proposer, amount: float | None, closed: date) -> None:
    state = p.state
    cs = p.cs_rep
    if cs is None:
        logger.info("%s: no customer-success rep; no handoff proposed", p.deal_id)
        return
    rep = p.rep
    sender = rep or cs
    money = _money(amount, p.currency)
    kickoff_day = business_days_after(closed, KICKOFF_BUSINESS_DAYS)
    customers = [c for c in state.contacts if c.email]
    champion = p.champion if p.champion in customers else (customers[0] if customers else None)
    others: list[Contact | Rep] = [cs, *([rep] if rep else []), *customers]
    others = [o for o in others if o is not champion]
    start, zone, notes = _slot(p, kickoff_day, champion or cs, others, KICKOFF_MINUTES)
    kickoff = start.date()
    cs_zone = p.zone(cs)
    end = start + timedelta(minutes=KICKOFF_MINUTES)
    owner = rep.name if rep else "the sales team"
    handoff = state.handoff
    kickoff_cs = when(start, cs_zone.tz)
    kickoff_customer = when(start, zone.tz)
    sheet = _base_sheet(p, sender)
    sheet.add(f"Deal {p.deal_id}: {p.deal_name}, won on {closed} at {money}, owner {owner}.",
              audience="internal", source="crm")  # fmt: skip
    sheet.add(f"Kickoff proposed: {kickoff_cs} with {cs.name}.", audience="internal",
              source="template")  # fmt: skip
    if handoff is not None:
        for line in _brief_lines(handoff):
            sheet.add(line, audience="internal", source="brief")

    def template() -> EmailDraft:
        paragraphs = [
            f"Hi {_first_name(cs.name)},",
            f"{p.account_name} signed today: {p.deal_name}, {money}. You are their customer "
            f"success manager from here; I've proposed a kickoff call on {kickoff_cs}"
            + (f" ({kickoff_customer} for them)" if kickoff_customer != kickoff_cs else "")
            + ".",
        ]
        if handoff is not None:
            paragraphs.append("Handoff brief:\n\n" + "\n".join(_brief_lines(handoff)))
        if customers:
            paragraphs.append(
                "People on their side:\n"
                + "\n".join(
                    f"- {c.name}" + (f", {c.title}" if c.title else "") + f" <{c.email}>"
                    for c in customers
                )
            )
        paragraphs.append("Happy to walk you through anything before the kickoff.")
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(
            subject=f"Handoff: {p.account_name} closed won ({money})", body="\n\n".join(paragraphs)
        )

    p.email(
        prompt="handoff",
        to=[cs],
        cc=[_address(rep)] if rep else [],
        sender=sender,
        sheet=sheet,
        template=template,
        customer=False,
        description=f"Email {cs.name}: customer-success handoff for {p.account_name}",
    )
    if cs.slack:
        text = (
            f"New customer for you, {_first_name(cs.name)}: {p.account_name} closed won at "
            f"{money} (owner {owner}). Handoff brief sent by email; kickoff proposed for "
            f"{kickoff_cs}."
        )
        if handoff is not None:
            text += f"\nBrief: {handoff.headline}"
        p.slack(cs.slack, text, f"Slack {cs.name} ({cs.slack}): {p.account_name} handoff")
    title = f"Kickoff call with {p.account_name}"
    p.add(
        "create_task",
        {
            "deal_id": p.deal_id,
            "title": title,
            "owner_id": cs.id,
            "due": kickoff.isoformat(),
            "notes": f"Won on {closed} at {money}; sold by {owner}. Read the handoff brief first.",
            "created_at": p.now.isoformat(),
        },
        f"Task for {cs.name}: {title} (due {kickoff})",
        "kickoff",
    )
    people: list[Contact | Rep] = [cs, *([rep] if rep else []), *customers]
    attendees = list(dict.fromkeys(_address(person) for person in people if person.email))
    names = ", ".join(dict.fromkeys(person.name for person in people))
    p.add(
        "send_invite",
        {
            "title": f"{p.account_name} kickoff with {p.company}",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "attendees": attendees,
            "organizer": _address(cs),
            "description": f"Kickoff of {p.product} for {p.account_name}: goals, onboarding "
            f"plan and success measures.\n\nTime: {kickoff_customer}.",
            "timezone": zone.name,
        },
        _with_notes(f"Invite {names} to the {p.account_name} kickoff on {kickoff_customer}", notes),
        "kickoff",
    )


# --------------------------------------------------------------------------- the graph

_HANDLERS: dict[str, Callable[[_Proposer], None]] = {
    "lead_created": _lead_created,
    "meeting_completed": _meeting_completed,
    "activity_logged": lambda p: None,
    "pipeline_review": _pipeline_review,
    "deal_closed": _deal_closed,
}


def _transcript_text(p: Any) -> str | None:
    """Return the call transcript's text, from the blob folder when the state holds a reference.

    Long transcripts are kept out of the checkpoints (`sales_operator.blobs`).
    """
    from sales_operator.blobs import BlobError, is_ref

    text = p.state.transcript
    if not text or not is_ref(text):
        return text  # type: ignore[no-any-return]
    blobs = getattr(p.deps, "blobs", None)
    if blobs is None:
        return None
    try:
        return blobs.get(text)  # type: ignore[no-any-return]
    except BlobError:
        return None


def build(deps: PatternDeps) -> StateGraph[Any, Any, Any, Any]:
    """Return the Workflow Copilot subgraph (uncompiled).

    Args:
        deps: Read-only dependencies: the policy, the CRM reader (for reps) and the
            language engine that drafts the emails.
    """

    def propose_actions(state: DealState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Propose the actions this event calls for, skipping any already proposed."""
        if state.event is None:
            return {}
        handler = _HANDLERS.get(state.event.type)
        if handler is None:
            return {}
        context = getattr(runtime, "context", None)
        llm = LLM(None) if isinstance(context, Context) and context.offline else deps.llm
        proposer = _Proposer(state, deps, llm)
        handler(proposer)
        if not proposer.new:
            return {}
        update: dict[str, Any] = {"proposed_actions": [*state.proposed_actions, *proposer.new]}
        if proposer.engines:
            engine = ", ".join(dict.fromkeys(proposer.engines))
            update["engines"] = {**state.engines, STEP: engine}
        return update

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(DealState, context_schema=Context)
    builder.add_node("propose_actions", propose_actions)
    builder.add_edge(START, "propose_actions")
    builder.add_edge("propose_actions", END)
    return builder


def make_first_request(deps: PatternDeps) -> Callable[[DealState], dict[str, Any]]:
    """Return the `notify_owner` node: a new lead's routing actions, for its first request.

    Under `speed_to_lead` the graph runs it right after Scoring + Routing, while research
    and drafting wait (`DealState.deferred`): it proposes `assign_owner` and the rep's
    notice (Slack, or email per `routing.notify`) with the score and its top factors, every
    word from the assignment, the score and the CRM's records. Template text only: no
    language model is called, so the request is readable within milliseconds.
    """

    def notify_owner(state: DealState) -> dict[str, Any]:
        """Propose the new lead's owner assignment and the rep's notice, nothing else."""
        if state.event is None or state.event.type != "lead_created":
            return {}
        proposer = _Proposer(state, deps, LLM(None))
        _lead_first_request(proposer)
        if not proposer.new:
            return {}
        update: dict[str, Any] = {"proposed_actions": [*state.proposed_actions, *proposer.new]}
        if proposer.engines:
            update["engines"] = {**state.engines, STEP: ", ".join(dict.fromkeys(proposer.engines))}
        return update

    return notify_owner

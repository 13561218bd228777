"""Workflow Copilot: turn what the other patterns found into proposed actions.

```text
START ─► propose_actions ─► END
```

The copilot reads what this event produced (the score and assignment, the brief, the call
insights, the risks, the handoff brief) and appends `ProposedAction`s for the approval gate:
CRM updates, stage changes, tasks, notes, emails, Slack messages and invites. It performs
nothing itself. Emails are drafted by one `LLM.structured` call each (schema `EmailDraft`,
prompts `copilot/*`), or by the `offline:template` engine without a model; Slack texts are
always templates.

Per event:

- `lead_created`: assign_owner, post_slack to the rep, first-touch send_email, update_crm
  with the score.
- `meeting_completed`: update_crm with the call notes, log_note, change_stage to
  `discovery`, follow-up send_email, one create_task per commitment, send_invite for a
  customer commitment that is a dated call.
- `activity_logged`: nothing.
- `pipeline_review` (risks and a probability below `policy.risk.at_risk_below`):
  re-engagement send_email to the champion, post_slack alert to the rep's manager.
- `deal_closed`: won: change_stage, update_crm, handoff send_email and post_slack to
  customer success, kickoff create_task and send_invite; lost: change_stage, update_crm,
  log_note.

Every action's idempotency key comes from the deal, the event, the kind and a stable
discriminator, so running the node twice for one event proposes nothing new.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel

from sales_operator.actions import NEW_LEAD_NOTICE, idempotency_key, propose
from sales_operator.adapters.base import Rep
from sales_operator.context import Context
from sales_operator.deps import PatternDeps
from sales_operator.llm import LLM
from sales_operator.policy import ProductProfile
from sales_operator.research.reuse import customer_safe_claims
from sales_operator.state import (
    AccountBrief,
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

CALL_START = time(16, 0)
"""Start time (UTC) of invites for calls agreed on a date."""

CALL_MINUTES = 30
"""Length of an invite for a call agreed on a call."""

KICKOFF_MINUTES = 60
"""Length of the kickoff invite."""

_MEETING_WORDS = re.compile(
    r"\b(call|meeting|meet|loop(?:ing)? in|intro(?:duce|duction)?|demo|session|sync|workshop)\b",
    re.I,
)
_GROWTH_WORDS = re.compile(r"\b(grow|growth|expan|new|announc|open|hir)", re.I)

_ROLE_TITLES = {
    "sdr": "Sales Development Representative",
    "ae": "Account Executive",
    "manager": "Sales Manager",
    "cro": "Chief Revenue Officer",
    "cs": "Customer Success Manager",
    "queue": "Sales team",
}


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


def _lower_first(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else f"{text}."


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


def _signature(rep: Rep | None, company: str) -> str:
    if rep is None:
        return f"Best regards,\nThe {company} team"
    title = _ROLE_TITLES.get(rep.role, "")
    line = f"{title}, {company}" if title else company
    return f"Best regards,\n{rep.name}\n{line}\n{rep.email}"


def _brief_lines(brief: AccountBrief) -> list[str]:
    lines = [brief.headline, ""]
    lines += [f"- {c.text} [{', '.join(q.source for q in c.citations)}]" for c in brief.claims]
    if brief.sources:
        lines += ["", "Sources:"]
        lines += [f"[{s.id}] {s.title} ({s.location})" for s in brief.sources]
    return lines


def _commitment_title(commitment: Commitment) -> str:
    if commitment.title and commitment.title.strip():
        return commitment.title.strip()
    text = _clip(commitment.text.strip().rstrip("."), 80)
    if commitment.side == "customer":
        return f"Follow up: {commitment.owner} to {_lower_first(text)}"
    return text[:1].upper() + text[1:]


def _commitment_line(commitment: Commitment) -> str:
    due = f" (by {_day(commitment.due)})" if commitment.due else ""
    return f"- {commitment.owner}: {_sentence(commitment.text)[:-1]}{due}"


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
        state = self.state
        rep_id = state.assignment.rep_id if state.assignment else None
        if rep_id is None and state.deal is not None:
            rep_id = state.deal.owner_id
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

    def contact(self, contact_id: str | None) -> Contact | None:
        return next((c for c in self.state.contacts if c.id == contact_id), None)

    @property
    def lead_contact(self) -> Contact | None:
        return self.contact(self.state.lead.contact_id) if self.state.lead else None

    @property
    def champion(self) -> Contact | None:
        contacts = [c for c in self.state.contacts if c.email]
        for contact in contacts:
            if (contact.role or "").lower() == "champion":
                return contact
        lead = self.lead_contact
        if lead is not None and lead.email:
            return lead
        return contacts[0] if contacts else None

    @property
    def latest_meeting(self) -> MeetingInsights | None:
        if self.state.meeting is not None:
            return self.state.meeting
        return self.state.meetings[-1] if self.state.meetings else None

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
            if c.email
            and (c.email.lower() in payload_emails or any(_matches_person(s, c) for s in speakers))
        ]
        if not found and self.lead_contact is not None and self.lead_contact.email:
            found = [self.lead_contact]
        return found

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
        facts: list[str],
        template: Callable[[], EmailDraft],
        description: str,
        cc: list[str] | None = None,
    ) -> None:
        """Draft one email (one model call, or the template) and propose sending it."""
        if self.has("send_email", prompt):
            return
        emails = [p.email for p in to if p.email]
        if not emails:
            logger.info("%s: no recipient email for %s; nothing proposed", self.deal_id, prompt)
            return
        draft = template()
        names = " and ".join(_first_name(p.name) for p in to)
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
                "facts": "\n".join(facts),
                "draft_subject": draft.subject,
                "draft_body": draft.body,
            },
            offline=lambda: draft,
            offline_engine=TEMPLATE_ENGINE,
        )
        self.engines.append(engine)
        args = {
            "to": emails,
            "cc": list(cc or []),
            "from": sender.email,
            "subject": result.subject.strip() or draft.subject,
            "body": result.body.strip() or draft.body,
        }
        self.add("send_email", args, description, prompt)


# --------------------------------------------------------------------------- lead_created


def _lead_created(p: _Proposer) -> None:
    state = p.state
    assignment = state.assignment
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
    rep = p.rep
    contact = p.lead_contact
    score = state.score
    factors = ""
    if score is not None:
        ranked = sorted((f for f in score.factors if round(f.points) != 0), key=lambda f: -f.points)
        factors = "; ".join(f"{f.label} ({f.points:+.0f} pts)" for f in ranked)
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
    if contact is not None and contact.email:
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

    Chosen by `research.reuse.customer_safe_claims`; CRM history is never used.
    """
    safe = customer_safe_claims(brief, profile)
    return safe[0].attributed if safe else None


def _first_touch(p: _Proposer, rep: Rep, contact: Contact) -> None:
    state = p.state
    lead = state.lead
    signals = lead.signals if lead else {}
    source = lead.source if lead else ""
    claim = _public_claim(state.brief, p.deps.policy.research.product_profile)

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
        paragraphs = [
            f"Hi {first},",
            f"{opening} I'm {rep.name}, and I'll be your contact at {p.company}.",
        ]
        pricing = signals.get("pricing_page_visits")
        if isinstance(pricing, int | float) and not isinstance(pricing, bool) and pricing > 0:
            paragraphs.append(
                "Since you have been looking at pricing, I'll come prepared with numbers for "
                f"an operation the size of {p.account_name}."
            )
        if claim:
            news = re.sub(r"\btoday (?=announced\b)", "", claim)
            if news.startswith(p.account_name):
                news = f"I read that {news}"
            else:
                news = f"While preparing, one thing stood out: {news}"
            if _GROWTH_WORDS.search(claim):
                news += (
                    " Growth like that puts dispatch under pressure, and that is where "
                    f"{p.product} helps most."
                )
            paragraphs.append(news)
        paragraphs.append(
            "Would you have 30 minutes this week or next? I'd like to understand how your team "
            f"works today and show you what {p.product} would change. If another time suits "
            "you better, just tell me."
        )
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(subject=subject, body="\n\n".join(paragraphs))

    facts = [
        f"Recipient: {contact.name}" + (f", {contact.title}" if contact.title else ""),
        f"Account: {p.account_name}",
        f"Lead source: {source or 'unknown'}",
        "Signals: " + (", ".join(f"{k}={v}" for k, v in signals.items()) or "none"),
        f"Sender: {rep.name}, {_ROLE_TITLES.get(rep.role, '')} at {p.company} ({rep.email})",
    ]
    if state.brief is not None:
        facts.append(f"Account brief headline: {state.brief.headline}")
    if claim:
        facts.append(f"Public fact worth mentioning: {claim}")
    p.email(
        prompt="first_touch",
        to=[contact],
        sender=rep,
        facts=facts,
        template=template,
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
    when = meeting.call_date
    if meeting.crm_notes:
        p.add(
            "update_crm",
            {"deal_id": p.deal_id, "fields": dict(meeting.crm_notes)},
            f"Update CRM deal {p.deal_id} with the call notes: {', '.join(meeting.crm_notes)}",
        )
    if meeting.summary:
        note = meeting.summary
        if str(when) not in note:
            note = f"Call {meeting.call_id} on {when}: {note}"
        p.add(
            "log_note",
            {"deal_id": p.deal_id, "text": note},
            f"Log a note on deal {p.deal_id}: summary of the {when} call",
        )
    deal = state.deal
    if deal is not None and deal.stage in ("new", "qualified"):
        if "discovery" in p.deps.policy.stages:
            p.add(
                "change_stage",
                {
                    "deal_id": p.deal_id,
                    "stage": "discovery",
                    "reason": f"Discovery call held on {when}",
                },
                f"Move deal {p.deal_id} from {deal.stage} to discovery (call on {when})",
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
        due = commitment.due.isoformat() if commitment.due else None
        notes = f'{commitment.owner} committed on the {when} call: "{commitment.quote.text}"'
        if commitment.side != "rep":
            notes += " Follow up if it has not happened by the due date."
        p.add(
            "create_task",
            {
                "deal_id": p.deal_id,
                "title": title,
                "owner_id": rep.id,
                "due": due,
                "notes": notes,
            },
            f"Task for {rep.name}: {title}" + (f" (due {due})" if due else ""),
            _commitment_key(commitment),
        )
    for args, description, key in invites:
        p.add("send_invite", args, description, key)


def _commitment_key(commitment: Commitment) -> str:
    return f"commitment:{commitment.side}:{commitment.owner}:{commitment.text}"


def _call_invites(
    p: _Proposer, meeting: MeetingInsights, rep: Rep, attendees: list[Contact]
) -> list[tuple[dict[str, Any], str, str]]:
    """Return (args, description, discriminator) of invites for customer-committed calls."""
    invites: list[tuple[dict[str, Any], str, str]] = []
    for commitment in meeting.commitments:
        if commitment.side != "customer" or commitment.due is None:
            continue
        if not _MEETING_WORDS.search(commitment.text):
            continue
        named = [
            c
            for c in _named_contacts(commitment.text, p.state.contacts)
            if c.email and not _matches_person(commitment.owner, c)
        ]
        people = list({c.id: c for c in [*attendees, *named]}.values())
        emails = [rep.email, *[c.email for c in people if c.email]]
        start = datetime.combine(commitment.due, CALL_START, tzinfo=UTC)
        end = start + timedelta(minutes=CALL_MINUTES)
        if named:
            title = f"{p.account_name} / {p.company}: call with {', '.join(c.name for c in named)}"
        else:
            title = f"{p.account_name} / {p.company}: follow-up call"
        description = (
            f"Agreed on the {meeting.call_date} call: {commitment.owner}: "
            f"{_sentence(commitment.text)}\n\n"
            f'"{commitment.quote.text}" ({commitment.quote.speaker})'
        )
        args = {
            "title": title,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "attendees": emails,
            "organizer": rep.email,
            "description": description,
        }
        who = ", ".join(c.name for c in people) or "the customer"
        invites.append(
            (
                args,
                f"Invite {who} to '{title}' on {commitment.due} {start:%H:%M}-{end:%H:%M} UTC",
                _commitment_key(commitment),
            )
        )
    return invites


def _follow_up(
    p: _Proposer,
    meeting: MeetingInsights,
    rep: Rep,
    attendees: list[Contact],
    invites: list[tuple[dict[str, Any], str, str]],
) -> None:
    if not attendees:
        return
    pains = [_sentence(i.text) for i in meeting.pains]
    concerns = [_sentence(i.text) for i in meeting.objections]
    commitments = [_commitment_line(c) for c in meeting.commitments]

    def template() -> EmailDraft:
        names = " and ".join(_first_name(c.name) for c in attendees)
        paragraphs = [f"Hi {names},", "Thank you for your time today."]
        if pains:
            paragraphs.append(
                "Here is what I heard, so we work from the same picture:\n"
                + "\n".join(f"- {t}" for t in pains)
            )
        if concerns:
            paragraphs.append(
                "You also raised concerns, which I'll address in the proposal:\n"
                + "\n".join(f"- {t}" for t in concerns)
            )
        if commitments:
            paragraphs.append("Next steps we agreed:\n" + "\n".join(commitments))
        for args, _, _ in invites:
            start = datetime.fromisoformat(args["start"])
            paragraphs.append(
                f"I have sent an invite for '{args['title']}' on {_day(start.date())} at "
                f"{start:%H:%M} UTC; move it if another time works better."
            )
        paragraphs.append("If I missed or misread anything, tell me and I'll correct it.")
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(
            subject=f"Recap of our call and next steps: {p.account_name} and {p.company}",
            body="\n\n".join(paragraphs),
        )

    facts = [f"Call {meeting.call_id} on {meeting.call_date}: {meeting.summary}"]
    facts += [f"Pain: {t}" for t in pains]
    facts += [f"Concern: {t}" for t in concerns]
    facts += [f"Competitor mentioned: {h.tracker}" for h in meeting.competitors]
    facts += [f"Commitment {line[2:]}" for line in commitments]
    facts += [f"Invite proposed: {args['title']} at {args['start']}" for args, _, _ in invites]
    p.email(
        prompt="follow_up",
        to=list(attendees),
        sender=rep,
        facts=facts,
        template=template,
        description=f"Email {', '.join(c.name for c in attendees)}: follow-up after the "
        f"{meeting.call_date} call",
    )


# --------------------------------------------------------------------------- pipeline_review


def _pipeline_review(p: _Proposer) -> None:
    state = p.state
    score = state.score
    if not state.risks or score is None:
        return
    if score.probability >= p.deps.policy.risk.at_risk_below:
        return
    rep = p.rep
    if rep is None:
        logger.info("%s: at risk but no rep found; nothing proposed", p.deal_id)
        return
    champion = p.champion
    meeting = p.latest_meeting
    if champion is not None and champion.email:
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


def _re_engagement(
    p: _Proposer, rep: Rep, champion: Contact, meeting: MeetingInsights | None
) -> None:
    pains = [_sentence(i.text) for i in meeting.pains] if meeting else []
    commitments = [_commitment_line(c) for c in meeting.commitments] if meeting else []
    others = []
    if meeting is not None:
        for c in meeting.commitments:
            others += [n for n in _named_contacts(c.text, p.state.contacts) if n.id != champion.id]
    other_names = list(dict.fromkeys(_first_name(c.name) for c in others))

    def template() -> EmailDraft:
        paragraphs = [
            f"Hi {_first_name(champion.name)},",
            "I wanted to check in on where things stand.",
        ]
        if meeting is not None and pains:
            paragraphs.append(
                f"When we spoke on {_day(meeting.call_date)}, these were the problems on the "
                "table:\n" + "\n".join(f"- {t}" for t in pains)
            )
        if commitments:
            paragraphs.append("The last next steps we agreed were:\n" + "\n".join(commitments))
        together = f"you and {' and '.join(other_names)}" if other_names else "you"
        paragraphs.append(
            f"Is this still a priority for this quarter? If it helps, I can walk {together} "
            "through the proposal in a 20-minute call this week and answer any open questions."
        )
        paragraphs.append(_signature(rep, p.company))
        return EmailDraft(
            subject=f"Next steps for {p.account_name} and {p.product}",
            body="\n\n".join(paragraphs),
        )

    facts = [f"Risk: {r.message} ({r.evidence})" for r in p.state.risks]
    if meeting is not None:
        facts.append(f"Last call {meeting.call_date}: {meeting.summary}")
        facts += [f"Pain: {t}" for t in pains]
        facts += [f"Commitment {line[2:]}" for line in commitments]
    p.email(
        prompt="re_engagement",
        to=[champion],
        sender=rep,
        facts=facts,
        template=template,
        description=f"Email {champion.name}: re-engage the quiet deal {p.deal_name}",
    )


# --------------------------------------------------------------------------- deal_closed


def _deal_closed(p: _Proposer) -> None:
    state = p.state
    event = state.event
    assert event is not None
    deal = state.deal
    outcome = event.payload.get("outcome") or (deal.outcome if deal else None)
    closed = event.at.date()
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
                },
                f"Move deal {p.deal_id} to closed_won (won on {closed} at {money})",
            )
        p.add(
            "update_crm",
            {"deal_id": p.deal_id, "fields": {"amount": amount, "closed_at": closed.isoformat()}},
            f"Update CRM deal {p.deal_id}: amount {money}, closed on {closed}",
        )
        _handoff(p, amount, closed)
    elif outcome == "lost":
        reason = str(event.payload.get("reason") or "not given")
        if "closed_lost" in stages and (deal is None or deal.stage != "closed_lost"):
            p.add(
                "change_stage",
                {"deal_id": p.deal_id, "stage": "closed_lost", "reason": f"Lost: {reason}"},
                f"Move deal {p.deal_id} to closed_lost (lost on {closed}: {reason})",
            )
        p.add(
            "update_crm",
            {"deal_id": p.deal_id, "fields": {"loss_reason": reason}},
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
    kickoff = business_days_after(closed, KICKOFF_BUSINESS_DAYS)
    start = datetime.combine(kickoff, CALL_START, tzinfo=UTC)
    end = start + timedelta(minutes=KICKOFF_MINUTES)
    customers = [c for c in state.contacts if c.email]
    owner = rep.name if rep else "the sales team"
    handoff = state.handoff

    def template() -> EmailDraft:
        paragraphs = [
            f"Hi {_first_name(cs.name)},",
            f"{p.account_name} signed today: {p.deal_name}, {money}. You are their customer "
            f"success manager from here; I've proposed a kickoff call on {_day(kickoff)} at "
            f"{start:%H:%M} UTC.",
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

    facts = [f"Deal {p.deal_id}: {p.deal_name}, won on {closed} at {money}, owner {owner}."]
    facts.append(f"Kickoff proposed: {start.isoformat()} with {cs.name}.")
    if handoff is not None:
        facts += _brief_lines(handoff)
    p.email(
        prompt="handoff",
        to=[cs],
        cc=[rep.email] if rep else [],
        sender=sender,
        facts=facts,
        template=template,
        description=f"Email {cs.name}: customer-success handoff for {p.account_name}",
    )
    if cs.slack:
        text = (
            f"New customer for you, {_first_name(cs.name)}: {p.account_name} closed won at "
            f"{money} (owner {owner}). Handoff brief sent by email; kickoff proposed for "
            f"{_day(kickoff)} at {start:%H:%M} UTC."
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
        },
        f"Task for {cs.name}: {title} (due {kickoff})",
        "kickoff",
    )
    people: list[Contact | Rep] = [cs, *([rep] if rep else []), *customers]
    emails = list(dict.fromkeys(person.email for person in people if person.email))
    names = ", ".join(dict.fromkeys(person.name for person in people))
    p.add(
        "send_invite",
        {
            "title": f"{p.account_name} kickoff with {p.company}",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "attendees": emails,
            "organizer": cs.email,
            "description": f"Kickoff of {p.product} for {p.account_name}: goals, onboarding "
            f"plan and success measures.\n\n"
            + (f"Context: {handoff.headline}" if handoff is not None else ""),
        },
        f"Invite {names} to the {p.account_name} kickoff on {kickoff} "
        f"{start:%H:%M}-{end:%H:%M} UTC",
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

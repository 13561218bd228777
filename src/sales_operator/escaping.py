r"""Escaping for every text the operator renders into another format.

One helper per target, used wherever that format is written:

- `ics_text()` and `ics_param()`: RFC 5545 TEXT values (section 3.3.11) and parameter values
  (section 3.2: no CONTROL characters, no DQUOTE), so a name or title carrying CR/LF cannot add
  a property or an attendee to an invite.
- `slack_text()`: Slack's broadcast mentions (`<!channel>`, `<!here>`, `<!everyone>`, user
  groups) escaped as Slack's "escaping text" rules say, unless the policy allows them.
- `csv_cell()`: a spreadsheet cell that starts with `=`, `+`, `-`, `@`, TAB or CR is prefixed
  with `'`, as OWASP's CSV-injection advice says (plain numbers are left as they are).
- `visible()`: control and format characters shown as escapes (`\\n`, `\\x1b`, `\\u202e`), so
  text shown to a reviewer cannot forge lines or hide what follows.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["csv_cell", "ics_param", "ics_text", "slack_text", "visible"]

_ICS_DROP = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""RFC 5545 CONTROL characters other than LF (TAB is dropped too: TEXT allows it, but no
calendar shows it usefully and it is a folding hazard)."""


def ics_text(value: str) -> str:
    r"""Escape an RFC 5545 TEXT value.

    Backslash, `;` and `,` are escaped, every line break (CR, LF, CRLF, U+2028/2029, NEL)
    becomes `\n`, and other control characters are dropped.
    """
    value = re.sub(r"\r\n|[\r\n\u0085\u2028\u2029]", "\n", value)
    value = _ICS_DROP.sub("", value.replace("\t", " "))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_param(value: str) -> str:
    """Return `value` fit for a quoted RFC 5545 parameter (`CN="..."`).

    Parameter values may hold no CONTROL character and no DQUOTE, and have no escapes, so
    those are removed (a line break becomes a space).
    """
    value = re.sub(r"[\r\n\t\u0085\u2028\u2029]+", " ", value)
    return _ICS_DROP.sub("", value).replace('"', "").strip()


_SLACK_BROADCAST = re.compile(
    r"<(!(?:channel|here|everyone|group)(?:\|[^>]*)?|!subteam\^[^>]*)>", re.IGNORECASE
)


def slack_text(text: str, *, allow_mentions: bool = False) -> str:
    """Escape Slack's broadcast mentions in `text` unless `allow_mentions`.

    `<!channel>`, `<!here>`, `<!everyone>`, `<!group>` and user-group mentions
    (`<!subteam^ID>`) become `&lt;!channel&gt;`, which Slack shows as the literal text instead
    of notifying everyone. Links and user mentions are left alone.
    """
    if allow_mentions:
        return text
    return _SLACK_BROADCAST.sub(lambda m: f"&lt;{m.group(1)}&gt;", text)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Return a CSV cell that a spreadsheet will not run as a formula.

    A text starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` (OWASP, "CSV
    Injection"); a plain number such as `-3.5` is left as it is.
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def visible(text: str) -> str:
    r"""Show control and invisible format characters as escapes (`\n`, `\x1b`, `\u202e`).

    For text shown to a reviewer: a name carrying a newline cannot start a forged line, and a
    right-to-left override cannot reorder what follows.
    """
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)

"""Building an e-mail (headers; text part before HTML part) from a rendered message.

Measured here (November 2026, a 40 KB HTML + 5 KB text digest, build and flatten, one loaded
core): `email.message.EmailMessage` ~130/s; `MIMEMultipart` with its default base64 ~290-340/s;
`MIMEMultipart` with the parts encoded up front (binascii's C quoted-printable) ~500-550/s;
the same flattened by `DigestMessage.as_bytes` ~1,150-1,350/s. We use the last: the stdlib's
MIME classes build the message, their slow pure-Python body encoder and generator are left
out. (The generator refolds every header through email.header.Header and writes the body line
by line; our headers are already safe and folded, our bodies already encoded.)
Quoted-printable also keeps the raw message readable and ~30 % smaller than base64.

Header values pass through `header_safe`: no CR or LF ever reaches a header (the compat32 MIME
classes would not refuse one). Non-ASCII subjects and names are RFC 2047 encoded.

Addresses are never RFC 2047 encoded (`=?utf-8?q?=C3=A5sa?=@exempel.se` is no address): an
address with non-ASCII characters (`åsa@exempel.se`) is written as it is, in UTF-8 (RFC 6532),
and such a message can only go through a server that offers SMTPUTF8 (digest.smtp asks for it;
digest.transports refuses the message for that recipient alone when the server lacks it). The
envelope (sender, recipient) travels with the message (`envelope`): a recipient that cannot be
written on an SMTP command line or in a header as it is (`mailbox_problem`: a control or
invisible character, a space, `<`, `"` ... in an address stored before addresses were checked)
gets `To: undisclosed-recipients:;` and the transports refuse to send it, naming the address,
so nothing ever goes to an address other than the one stored.

The web app can import `build_message` and `new_message_id` for its own mails (leave the
list arguments out for a mail that is not part of a list).
"""

from __future__ import annotations

import binascii
import re
import unicodedata
import uuid
from datetime import datetime
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Policy, compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from digest.render import Rendered

_HEADER_UNSAFE = re.compile(r"[\r\n\x00]+")
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")
# What ends, quotes or comments an address on an SMTP command line or in a header.
_ADDRESS_SPECIALS = frozenset('<>()[]\\,;:"')
# Control (Cc), format (Cf: bidi controls, zero-width characters), surrogate and private-use
# characters, and every kind of space or line separator.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp"})
UNDISCLOSED = "undisclosed-recipients:;"
# compat32 folds a long header without spaces (a List-Unsubscribe URL) by starting it on a
# new line, which leaves a space in front of the value: fold only past RFC 5322's hard limit.
# Encoded subjects fold themselves (email.header.Header knows the header's name).
POLICY = compat32.clone(max_line_length=998)
BOUNDARY = "=_vahti_alternative_7f4c"
QP = "quoted-printable"
UTF8_B = Charset("utf-8")
UTF8_B.header_encoding = BASE64


def header_safe(value: str) -> str:
    """No CR, LF or NUL can ever reach a header."""
    return _HEADER_UNSAFE.sub(" ", value).strip()


def new_message_id(domain: str) -> str:
    """A Message-ID at our own domain, fixed before the first try and kept for every retry."""
    return f"<{uuid.uuid4().hex}@{header_safe(domain)}>"


@lru_cache(maxsize=4096)
def _encoded(name: str, value: str) -> str:
    """RFC 2047 encoded-words (base64: three times faster to make than the "shortest" choice)
    for a non-ASCII header value, folded by email.header.Header."""
    value = header_safe(value)
    return value if value.isascii() else Header(value, UTF8_B, header_name=name).encode()


def mailbox_problem(address: str) -> str | None:
    """Why `address` cannot be written, exactly as it is, on an SMTP command line and in a
    header (None when it can). Not a validity check (services.subscribers.check_address is
    that): this keeps an address stored before that check from reaching the wire changed,
    cut short or carrying a command. Non-ASCII characters are fine (they need SMTPUTF8)."""
    if _BARE_ADDRESS.match(address):
        return None
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it is not of the form name@domain"
    for character in address:
        kind = unicodedata.category(character)
        if kind in _INVISIBLE:
            what = "a space" if kind[0] == "Z" else "a control or invisible character"
            return f"it contains {what} (U+{ord(character):04X})"
        if character in _ADDRESS_SPECIALS:
            return f"it contains {character!r}"
    if "@" in local:
        return "it contains more than one @-sign"
    if parseaddr(address) != ("", address):
        return "it does not read back as the same address"
    return None


@lru_cache(maxsize=4096)
def _address(value: str) -> str:
    """A From header: the name RFC 2047 encoded when not ASCII, the address as it is."""
    if _BARE_ADDRESS.match(value):
        return value
    name, address = parseaddr(header_safe(value))
    if not address:
        raise ValueError(f"not an e-mail address: {value!r}")
    if address.isascii():
        return formataddr((name, address), charset="utf-8")
    if not name:
        return address
    shown = formataddr((name, "x@x"), charset="utf-8").removesuffix(" <x@x>")
    return f"{shown} <{address}>"


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, policy=POLICY, charset="utf-8")
    del part["MIME-Version"]
    part["Content-Transfer-Encoding"] = QP
    part.set_payload(binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii"))
    return part


class DigestMessage(MIMEMultipart):
    """multipart/alternative whose `as_bytes` writes our known shape directly.

    Falls back to the stdlib generator for anything else (another policy, a part added later).
    The bytes are what the generator would write (a test compares them parsed), but for an
    address with non-ASCII characters, which only ours write correctly (raw UTF-8).
    """

    envelope: tuple[str, str] | None = None  # (sender, recipient) as given to build_message

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        parts = _plain_parts(self.get_payload(), self.get_boundary())
        if unixfrom or policy is not None or parts is None:
            return super().as_bytes(unixfrom, policy)
        out = [f"{name}: {value}\n" for name, value in self.items()]
        out.append("\n")
        for headers, body in parts:
            out.append(f"--{BOUNDARY}\n")
            out.extend(f"{name}: {value}\n" for name, value in headers)
            out.append("\n")
            out.append(body)
            out.append("\n")  # the line break before a boundary belongs to the boundary
        out.append(f"--{BOUNDARY}--\n")
        return "".join(out).encode("utf-8")


def _plain_parts(
    payload: object, boundary: str | None
) -> list[tuple[list[tuple[str, str]], str]] | None:
    """(headers, encoded body) of each part when the message still has our shape, else None."""
    if boundary != BOUNDARY or not isinstance(payload, list):
        return None
    found = []
    for part in payload:
        if not isinstance(part, Message) or part["Content-Transfer-Encoding"] != QP:
            return None
        body = part.get_payload()
        if not isinstance(body, str):
            return None
        found.append(([(k, str(v)) for k, v in part.items()], body))
    return found


def build_message(
    rendered: Rendered,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    date: datetime,
    list_id: str | None = None,
    unsubscribe_url: str | None = None,
) -> DigestMessage:
    """multipart/alternative (text, then HTML) with every header a list mail needs.

    The boundary is fixed: it cannot occur in a quoted-printable body ('=' is always followed
    by two hex digits or a line end there), so no scan and no random part is needed.
    `recipient` is a bare address, as stored; one that `mailbox_problem` refuses gets
    `To: undisclosed-recipients:;` (the transports refuse to send the message).
    """
    message = DigestMessage("alternative", boundary=BOUNDARY, policy=POLICY)
    message["From"] = _address(sender)
    message["To"] = recipient if mailbox_problem(recipient) is None else UNDISCLOSED
    message.envelope = (_address_in(message["From"]), recipient)
    message["Subject"] = _encoded("Subject", rendered.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = header_safe(message_id)
    if list_id:
        message["List-Id"] = header_safe(list_id)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{header_safe(unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = header_safe(rendered.language)
    message.attach(_text_part(rendered.text, "plain"))
    message.attach(_text_part(rendered.html, "html"))
    return message


class PreparedMessage(Message):
    """A built message reduced to its headers and its bytes: cheap to pickle, nothing to
    flatten again (what the compose processes hand to the sending process)."""

    envelope: tuple[str, str] | None

    def __init__(self, message: Message) -> None:
        super().__init__(policy=POLICY)
        for name, value in message.items():
            self[name] = value
        self.data = message.as_bytes()
        self.envelope = getattr(message, "envelope", None)

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        return self.data

    def as_string(
        self, unixfrom: bool = False, maxheaderlen: int = 0, policy: Policy | None = None
    ) -> str:
        return self.data.decode("utf-8")


@lru_cache(maxsize=64)
def _address_in(value: str) -> str:
    return parseaddr(value)[1]


def envelope(message: Message) -> tuple[str, str]:
    """(sender address, recipient address): as given to build_message, else from the From and
    To headers (an EmailMessage's headers read decoded: `åsa@exempel.se`)."""
    given = getattr(message, "envelope", None)
    if given is not None:
        return given
    return _address_in(str(message["From"])), parseaddr(str(message["To"]))[1]

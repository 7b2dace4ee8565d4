"""The sign-up mails: confirm your subscription, or you are already subscribed.

An address with non-ASCII characters (`åsa@exempel.se`, allowed by check_address) is written
in the headers as it is, in UTF-8 (RFC 6532: email.policy with utf8=True): RFC 2047 encoding
would make it `=?utf-8?q?=C3=A5sa?=@exempel.se`, which is no address. Such a mail needs a
server that offers SMTPUTF8 (digest.smtp asks for it); every other mail keeps ASCII headers.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, parseaddr

from web.rendering import Renderer

_HEADER_UNSAFE = re.compile(r"[\r\n\x00]+")
UTF8_HEADERS = default.clone(utf8=True)


def _header(value: str) -> str:
    return _HEADER_UNSAFE.sub(" ", value).strip()


def signup_message(
    renderer: Renderer,
    *,
    kind: str,
    language: str,
    recipient: str,
    link: str,
    sender: str,
    message_id_domain: str,
    now: datetime,
    valid_hours: int,
) -> EmailMessage:
    """`kind` is "confirm" (with the confirmation link) or "already" (preferences link)."""
    context = {"kind": kind, "link": link, "valid_days": max(1, valid_hours // 24)}
    subject = renderer.render("email/signup/subject.txt", language, context)
    ascii_addresses = recipient.isascii() and parseaddr(sender)[1].isascii()
    message = EmailMessage(policy=default if ascii_addresses else UTF8_HEADERS)
    message["From"] = _header(sender)
    message["To"] = _header(recipient)
    message["Subject"] = _header(" ".join(subject.split()))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{_header(message_id_domain)}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(renderer.render("email/signup/body.txt", language, context))
    message.add_alternative(
        renderer.render("email/signup/body.html", language, context), subtype="html"
    )
    # After the content: set_content() drops every Content-* header set before it.
    message["Content-Language"] = language
    return message

"""The sign-up mails: confirm your subscription, or you are already subscribed."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from web.rendering import Renderer

_HEADER_UNSAFE = re.compile(r"[\r\n]+")


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
    message = EmailMessage()
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

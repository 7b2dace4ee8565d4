"""Building the e-mail message of a digest (headers, text part before HTML part)."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from digest.render import Rendered

_HEADER_UNSAFE = re.compile(r"[\r\n]+")


def header_safe(value: str) -> str:
    """No CR or LF can ever reach a header."""
    return _HEADER_UNSAFE.sub(" ", value).strip()


def build_message(
    rendered: Rendered,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    date: datetime,
    list_id: str,
    unsubscribe_url: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient)
    message["Subject"] = header_safe(rendered.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = header_safe(message_id)
    message["List-Id"] = header_safe(list_id)
    message["List-Unsubscribe"] = f"<{header_safe(unsubscribe_url)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = rendered.language
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message

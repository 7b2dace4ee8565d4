"""Subscriber pages: sign up, confirm, preferences, unsubscribe (token links, no passwords).

Tokens are signed (store.tokens) and carry a purpose, so a confirm link cannot stand in for an
unsubscribe link; bumping the subscriber's token version retires every link sent before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from digest.transports import SendError
from services import subscribers
from services.signup_limits import Refusal, SignupLimits, release
from services.subscriber_links import (
    LinkError,
    LinkProblem,
    confirmed_mark,
    subscriber_for_token,
)
from services.subscribers import PreferenceValues
from store import vocab
from store.db import session_scope
from store.models import Subscriber
from store.tokens import make_token
from web import forms
from web.clients import request_client
from web.config import WebConfig
from web.errors import PageError
from web.i18n import N_
from web.mail import signup_message
from web.resources import Resources, db_session, resources
from web.routes.common import personal_feed_links

log = logging.getLogger(__name__)
router = APIRouter()
SessionDep = Annotated[Session, Depends(db_session)]

LINK_MESSAGES = {
    LinkProblem.INVALID: (404, N_("This link is not valid or no longer works.")),
    LinkProblem.STALE: (404, N_("This link is not valid or no longer works.")),
    LinkProblem.EXPIRED: (
        400,
        N_("This confirmation link has expired. Sign up again to get a new one."),
    ),
    LinkProblem.USED: (
        400,
        N_(
            "This confirmation link has already been used. Every digest has a link to your "
            "preferences."
        ),
    ),
}


def token_url(
    found: Resources,
    subscriber: Subscriber,
    purpose: str,
    path: str,
    *,
    issued: datetime | None = None,
) -> str:
    """A signed link; `issued` (confirmation links) dates it, for its lifetime."""
    token = make_token(
        found.config.secret_key,
        subscriber.id,
        purpose,
        subscriber.token_version,
        issued_at=None if issued is None else int(issued.timestamp()),
        confirmed_mark=confirmed_mark(subscriber),
    )
    return f"{found.config.base_url}/{path}/{token}"


def _subscriber(found: Resources, session: Session, token: str, purpose: str) -> Subscriber:
    try:
        return subscriber_for_token(
            session,
            found.config.secret_key,
            token,
            purpose,
            now=found.clock(),
            confirm_valid=timedelta(hours=found.config.confirm_valid_hours),
        )
    except LinkError as exc:
        status, message = LINK_MESSAGES[exc.problem]
        raise PageError(status, message, language=exc.language) from exc


def _form_context(found: Resources, values: PreferenceValues) -> dict[str, Any]:
    return {
        "values": values,
        "categories": vocab.CATEGORIES,
        "event_languages": vocab.EVENT_LANGUAGES,
        "weekdays": vocab.WEEKDAYS,
        "zone": found.config.timezone,
    }


# --- sign up --------------------------------------------------------------------------------


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_form(request: Request) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    values = PreferenceValues(
        language=language, send_day=found.config.default_day, send_hour=found.config.default_hour
    )
    return found.renderer.page(
        request,
        "web/subscribe.html",
        language,
        {**_form_context(found, values), "email": "", "errors": {}},
    )


@router.post("/subscribe", response_class=HTMLResponse)
async def subscribe(request: Request) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    form = await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)
    result = forms.read_preferences(
        forms.form_values(form), default_language=language, with_email=True
    )
    if not result.ok:
        return found.renderer.page(
            request,
            "web/subscribe.html",
            language,
            {
                **_form_context(found, result.values),
                "email": str(form.get("email") or "")[: subscribers.MAX_ADDRESS],
                "errors": dict(result.errors),
            },
            status_code=400,
        )
    if not result.honeypot_filled:
        await _sign_up(found, result, request_client(request))
    # The same answer whether the address was new, pending, active or a bot's, and whether
    # the sign-up limits let a mail go or not.
    return found.renderer.page(
        request, "web/subscribe_sent.html", result.values.language, {"email": result.email}
    )


def signup_limits(config: WebConfig) -> SignupLimits:
    return SignupLimits(
        resend_after=timedelta(minutes=config.confirm_resend_minutes),
        per_client=config.signup_client_mails_per_hour,
        per_hour=config.signup_mails_per_hour,
    )


@dataclass(frozen=True)
class _Outgoing:
    mail: subscribers.SignupMail
    link: str
    language: str
    recipient: str
    subscriber_id: int
    record_id: int


async def _sign_up(found: Resources, result: forms.FormResult, client: str) -> None:
    now = found.clock()
    config = found.config

    def record() -> _Outgoing | None:
        with session_scope(found.sessions) as session:
            signup = subscribers.sign_up(
                session,
                result.email,
                result.values,
                now=now,
                timezone=config.timezone,
                max_items=config.max_items,
                client=client,
                limits=signup_limits(config),
            )
            subscriber = signup.subscriber
            if signup.mail is None or subscriber is None or signup.mail_record is None:
                if signup.refused is not Refusal.ADDRESS:
                    log.info("sign-up mail refused (%s) for client %s", signup.refused, client)
                return None
            if signup.mail is subscribers.SignupMail.ALREADY:
                link = token_url(found, subscriber, "preferences", "s")
            else:
                link = token_url(found, subscriber, "confirm", "confirm", issued=now)
            return _Outgoing(
                signup.mail,
                link,
                subscriber.language,
                subscriber.email,
                subscriber.id,
                signup.mail_record,
            )

    outgoing = await run_in_threadpool(record)
    if outgoing is None:
        return
    message = signup_message(
        found.renderer,
        kind=outgoing.mail.value,
        language=outgoing.language,
        recipient=outgoing.recipient,
        link=outgoing.link,
        sender=config.from_address,
        message_id_domain=config.message_id_domain,
        now=now,
        valid_hours=config.confirm_valid_hours,
    )
    try:
        await found.sender.send(message)
    except (SendError, OSError) as exc:
        log.warning("sign-up mail to %s failed: %s", outgoing.recipient, exc)

        def forget() -> None:
            # Let the person try again at once instead of waiting out the resend interval.
            with session_scope(found.sessions) as session:
                release(session, outgoing.record_id)
                subscriber = session.get(Subscriber, outgoing.subscriber_id)
                if subscriber is not None:
                    subscriber.confirm_sent_at = None

        await run_in_threadpool(forget)
        raise PageError(
            500,
            N_("We could not send the confirmation mail. Please try again later."),
            language=outgoing.language,
        ) from exc


# --- confirm --------------------------------------------------------------------------------


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str, session: SessionDep) -> Response:
    """A page with a button: mail scanners that follow links must not confirm anybody. A used
    or expired link says so and leads nowhere (it may be an old mail in someone's hands)."""
    found = resources(request)
    subscriber = _subscriber(found, session, token, "confirm")
    language = found.renderer.language(request, subscriber.language)
    return found.renderer.page(
        request,
        "web/confirm.html",
        language,
        {
            "subscriber": subscriber,
            "done": False,
            "action": f"/confirm/{token}",
            "preferences_url": "",
        },
    )


@router.post("/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str, session: SessionDep) -> Response:
    """Confirm; the one answer that leads on to the preferences page is this one (the link
    works once)."""
    found = resources(request)
    subscriber = _subscriber(found, session, token, "confirm")
    subscribers.confirm(subscriber, found.clock())
    session.commit()
    language = found.renderer.language(request, subscriber.language)
    return found.renderer.page(
        request,
        "web/confirm.html",
        language,
        {
            "subscriber": subscriber,
            "done": True,
            "action": f"/confirm/{token}",
            "preferences_url": token_url(found, subscriber, "preferences", "s"),
        },
    )


# --- preferences ----------------------------------------------------------------------------


def _preferences_page(
    request: Request,
    found: Resources,
    subscriber: Subscriber,
    token: str,
    values: PreferenceValues,
    *,
    saved: bool = False,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    language = found.renderer.language(request, subscriber.language)
    feed_token = make_token(
        found.config.secret_key, subscriber.id, "feed", subscriber.token_version
    )
    return found.renderer.page(
        request,
        "web/preferences.html",
        language,
        {
            **_form_context(found, values),
            "subscriber": subscriber,
            "action": f"/s/{token}",
            "saved": saved,
            "errors": errors or {},
            "feeds": personal_feed_links(found.config.base_url, feed_token),
            "unsubscribe_url": token_url(found, subscriber, "unsubscribe", "u"),
            "active": subscriber.status == vocab.SUBSCRIBER_ACTIVE,
        },
        status_code=status_code,
    )


def _values_of(subscriber: Subscriber) -> PreferenceValues:
    return PreferenceValues(
        language=subscriber.language,
        categories=list(subscriber.categories or []),
        keywords=list(subscriber.keywords or []),
        cities=list(subscriber.cities or []),
        include_online=subscriber.include_online,
        event_languages=list(subscriber.event_languages or []),
        send_day=subscriber.send_day,
        send_hour=subscriber.send_hour,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def preferences_page(request: Request, token: str, session: SessionDep) -> Response:
    found = resources(request)
    subscriber = _subscriber(found, session, token, "preferences")
    return _preferences_page(request, found, subscriber, token, _values_of(subscriber))


@router.post("/s/{token}", response_class=HTMLResponse)
async def save_preferences(request: Request, token: str) -> Response:
    found = resources(request)
    form = await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)

    def save() -> Response:
        with found.sessions() as session:
            subscriber = _subscriber(found, session, token, "preferences")
            result = forms.read_preferences(
                forms.form_values(form), default_language=subscriber.language, with_email=False
            )
            if not result.ok:
                return _preferences_page(
                    request,
                    found,
                    subscriber,
                    token,
                    result.values,
                    errors=dict(result.errors),
                    status_code=400,
                )
            subscribers.apply_preferences(subscriber, result.values)
            session.commit()
            return _preferences_page(
                request, found, subscriber, token, _values_of(subscriber), saved=True
            )

    return await run_in_threadpool(save)


# --- unsubscribe ----------------------------------------------------------------------------


@router.get("/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str, session: SessionDep) -> Response:
    found = resources(request)
    subscriber = _subscriber(found, session, token, "unsubscribe")
    language = found.renderer.language(request, subscriber.language)
    return found.renderer.page(
        request,
        "web/unsubscribe.html",
        language,
        {
            "subscriber": subscriber,
            "done": subscriber.status == vocab.SUBSCRIBER_UNSUBSCRIBED,
            "action": f"/u/{token}",
        },
    )


@router.post("/u/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, session: SessionDep) -> Response:
    """RFC 8058 one-click: the signed URL alone identifies the subscriber (no cookie, no CSRF
    token); the body is ``List-Unsubscribe=One-Click`` from mail clients, or our own button.
    Idempotent: a second POST answers 200 too."""
    found = resources(request)
    subscriber = _subscriber(found, session, token, "unsubscribe")
    subscribers.unsubscribe(subscriber, found.clock())
    session.commit()
    language = found.renderer.language(request, subscriber.language)
    return found.renderer.page(
        request,
        "web/unsubscribe.html",
        language,
        {"subscriber": subscriber, "done": True, "action": f"/u/{token}"},
    )

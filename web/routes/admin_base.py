"""What every admin page shares: the login requirement, CSRF-checked forms, page rendering.

The admin pages are closed (403) while no admin password is set; a page asked for before
login redirects to the login page; every form carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from web import admin_auth
from web.errors import PageError
from web.i18n import N_
from web.resources import Resources, resources

MAX_FORM = 16 * 1024
MAX_FIELDS = 80


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def install(app: FastAPI) -> None:
    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/admin/login?next={quote(exc.next_path)}", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)


def open_admin(request: Request) -> Resources:
    found = resources(request)
    if not found.config.admin_enabled:
        raise PageError(
            403,
            N_(
                "The admin pages are closed: no admin password is set. Set "
                "VAHTI_WEB__ADMIN_PASSWORD in the web app's environment and restart it (vahti "
                "serve, vahti run or vahti demo), for example:"
            ),
            detail_text="VAHTI_WEB__ADMIN_PASSWORD='a long passphrase' .venv/bin/vahti serve",
        )
    admin_auth.csrf_token(request)
    return found


def admin_session(request: Request) -> Iterator[Session]:
    """A database session for a logged-in admin; else a redirect to the login page."""
    found = open_admin(request)
    if not admin_auth.logged_in(request):
        raise LoginRequired(request.url.path)
    with found.sessions() as session:
        yield session


AdminSession = Annotated[Session, Depends(admin_session)]


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token is checked (size and field count limited)."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FORM)
    if not admin_auth.csrf_ok(request, form.get(admin_auth.CSRF_FIELD)):
        raise PageError(403, N_("The form had expired. Go back, reload the page and try again."))
    return form


def text_field(form: FormData, name: str, limit: int) -> str:
    """A form field as stripped text; a 400 page when it is longer than `limit`."""
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise PageError(
            400,
            N_("A field is longer than allowed."),
            detail_text=f"{name}: at most {limit} characters",
        )
    return text


def int_field(form: FormData, name: str) -> int:
    text = text_field(form, name, 20)
    if not text.isdigit():
        raise PageError(400, N_("A field must be a number."), detail_text=name)
    return int(text)


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    found = resources(request)
    language = found.renderer.language(request)
    return found.renderer.page(
        request, f"web/admin/{name}", language, context, status_code=status_code
    )


def safe_next(value: str) -> str:
    return value if value.startswith("/admin") and "//" not in value else "/admin/"


def count_by(session: Session, column: Any) -> dict[str, int]:
    return {
        str(key): int(count)
        for key, count in session.execute(select(column, func.count()).group_by(column))
    }

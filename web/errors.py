"""Friendly error pages in the reader's language (never a stack trace)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from web.i18n import N_
from web.resources import resources

log = logging.getLogger(__name__)

TITLES: dict[int, str] = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
}
DEFAULT_MESSAGES: dict[int, str] = {
    400: N_("The request could not be understood."),
    403: N_("You may not do this."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not take that kind of request."),
    429: N_("Please wait a while and try again."),
    500: N_("Our fault, not yours. Please try again later."),
}


class PageError(HTTPException):
    """An error shown as a page: `message` is a msgid, `detail_text` an untranslated detail."""

    def __init__(
        self,
        status_code: int,
        message: str | None = None,
        *,
        detail_text: str = "",
        language: str | None = None,
    ) -> None:
        super().__init__(status_code, message or DEFAULT_MESSAGES.get(status_code, ""))
        self.message = message or DEFAULT_MESSAGES.get(status_code, "")
        self.detail_text = detail_text
        self.language = language


def error_page(
    request: Request,
    status_code: int,
    message: str | None = None,
    detail_text: str = "",
    language: str | None = None,
) -> Response:
    found = resources(request)
    renderer = found.renderer
    chosen = renderer.language(request, language)
    return renderer.page(
        request,
        "web/error.html",
        chosen,
        {
            "status_code": status_code,
            "title": TITLES.get(status_code, TITLES[400 if status_code < 500 else 500]),
            "message": message or DEFAULT_MESSAGES.get(status_code, DEFAULT_MESSAGES[400]),
            "detail_text": detail_text,
        },
        status_code=status_code,
    )


def install(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if isinstance(exc, PageError):
            response = error_page(
                request, exc.status_code, exc.message, exc.detail_text, exc.language
            )
        else:
            response = error_page(request, exc.status_code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors()[:5])
        return error_page(request, 400, detail_text=fields)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("error while serving %s", request.url.path, exc_info=exc)
        return error_page(request, 500)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)

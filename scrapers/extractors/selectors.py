"""CSS or XPath selectors from a source's config, applied with parsel.

A selector is XPath when it starts with ``/``, ``./``, ``(`` or ``xpath:``, else CSS. A
selector that ends in ``::text``, ``::attr(...)``, ``/text()`` or ``/@attr`` gives those
values; one that selects elements gives their text (or, for links, their ``href``).
"""

from __future__ import annotations

from parsel import Selector, SelectorList


class SelectorError(ValueError):
    """A configured selector is not valid CSS or XPath."""


def query(sel: Selector, expr: str) -> SelectorList[Selector]:
    try:
        if expr.startswith("xpath:"):
            return sel.xpath(expr[len("xpath:") :].strip())
        if expr.startswith(("/", "./", "(")):
            return sel.xpath(expr)
        return sel.css(expr)
    except Exception as exc:  # cssselect and lxml raise their own kinds
        raise SelectorError(f"{expr!r} is not a valid selector: {exc}") from None


def _gives_values(expr: str) -> bool:
    return any(mark in expr for mark in ("::text", "::attr(", "/text()", "/@", "string("))


def select_values(sel: Selector, expr: str, attribute: str | None = None) -> list[str]:
    found = query(sel, expr)
    if _gives_values(expr):
        return [str(v) for v in found.getall()]
    values: list[str] = []
    for element in found:
        if attribute and element.attrib.get(attribute):
            values.append(element.attrib[attribute])
        else:
            values.append(" ".join(" ".join(element.xpath(".//text()").getall()).split()))
    return values


def select_all(sel: Selector, expr: str) -> list[str]:
    """Values of a link selector: hrefs of selected elements, or the values it names."""
    return [v.strip() for v in select_values(sel, expr, attribute="href") if v.strip()]


def select_text(sel: Selector, expr: str) -> str | None:
    """The text a field selector finds, white space collapsed; None when it finds nothing."""
    text = " ".join(" ".join(select_values(sel, expr)).split())
    return text or None


def check_selector(expr: str) -> None:
    """Raise SelectorError when `expr` is not valid CSS or XPath."""
    query(Selector(text="<html></html>"), expr)

"""Form widgets drawn without a template per option (settings.FORM_RENDERER).

Django draws a select box with one template for the box, one include per option and one per
attribute list: a 30-option select costs about as much as the rest of a form. This renderer
writes Django's own markup for its select, input and textarea widgets in Python, byte for byte
what those templates give (tests/lib/test_form_renderer.py compares them), and leaves every
other widget to the templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"
INPUTS = frozenset(
    WIDGETS + f"{kind}.html"
    for kind in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "input",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def _text(value: Any) -> str:
    """`{{ value }}`: localized, then escaped unless already safe."""
    return str(conditional_escape(str(localize(template_localtime(value)))))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` (a safe string stays unescaped)."""
    return str(conditional_escape(str(value)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: Mapping[str, Any]) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _draw(template_name: str) -> Callable[[Mapping[str, Any]], str | None] | None:
    if template_name == WIDGETS + "select.html":
        return _select
    if template_name == WIDGETS + "textarea.html":
        return _textarea
    if template_name in INPUTS:
        return _input
    return None


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        draw = _draw(template_name)
        html = draw(context["widget"]) if draw is not None and "widget" in context else None
        if html is None:
            return str(super().render(template_name, context, request))
        return SafeString(html)

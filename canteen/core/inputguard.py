"""Request-level input checks, in one place for every page and API route.

Text that no database column can hold (a NUL byte, which PostgreSQL refuses, or a lone surrogate, which no
encoding can write) and JSON nested deeper than the interpreter can parse are refused with a 400 naming the
field, wherever they arrive: query string, path, form field, uploaded file name or JSON body. Path ids are
matched only within the database's integer range, so a larger one is simply a 404.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Request, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

from canteen.core.validation import DB_ID_MAX, json_problem, text_problem


class UnsafeInput(BadRequest):
    """A 400 that names the offending field (``fields``), for JSON answers and error pages alike."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(_("%(field)s: %(message)s", field=field, message=message))
        self.fields = {field: message}


class DbIdConverter(IntegerConverter):
    """``<int:...>`` bounded to the database's integer ids (1 to 2**31-1): any other number is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002  (Werkzeug's name)
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", DB_ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        """The id, or a 404 for one out of range or too long to be a number at all."""
        # NotFound rather than Werkzeug's ValidationError: after a ValidationError the matcher reports the
        # methods of the path's other rules, so an id out of range on POST would answer 405 when a GET exists.
        # Refused before int(): Python will not even convert a string of more than 4300 digits.
        if len(value) > len(str(DB_ID_MAX)):
            raise NotFound()
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


class CheckedRequest(Request):
    """A request whose form fields and JSON body are checked the moment a view (or CSRF check) reads them.

    Lazily, not in a before_request hook: a view may raise the upload limit before its body is parsed.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # Werkzeug has just stored the parsed form and files in the instance's dict.
        for key, value in self.form.items(multi=True):
            _refuse_unsafe(key, key)
            _refuse_unsafe(key, value)
        # A file's bytes may be anything; only its name is text that could end up stored or shown.
        for key, upload in self.files.items(multi=True):
            _refuse_unsafe(key, key)
            _refuse_unsafe(key, upload.filename or "")

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The parsed JSON body; UnsafeInput for a body nested too deeply or holding unstorable text."""
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            # Python's parser gives up on deep nesting with RecursionError, not the ValueError Flask handles.
            raise UnsafeInput("body", _("nested too deeply")) from None
        problem = json_problem(data)
        if problem is not None:
            raise UnsafeInput(*problem)
        return data


def _refuse_unsafe(field: str, value: str) -> None:
    problem = text_problem(value)
    if problem is not None:
        # The field's own name may be the unsafe text: it is shown escaped.
        raise UnsafeInput(ascii(field)[1:-1] if text_problem(field) else field, problem)


def check_query_and_path() -> None:
    """Refuse unstorable text in the query string and the path's parameters (a before_request hook)."""
    for key, value in request.args.items(multi=True):
        _refuse_unsafe(key, key)
        _refuse_unsafe(key, value)
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str):
            _refuse_unsafe(key, value)


def install(app: Flask) -> None:
    """Check every request's input; call before any route is added (the id converter applies to new rules)."""
    app.request_class = CheckedRequest
    # Replaces Werkzeug's unbounded ``int``: every integer in this service's paths is a row id.
    app.url_map.converters["int"] = DbIdConverter
    app.before_request(check_query_and_path)

"""Access to Zadarma's OpenAPI description for tests that check response shapes.

The team's copy of the spec lives outside the repository, at
``../shared/zadarma/openapi.json``; the tests read the copy kept beside them
(``tests/contract/zadarma_openapi.json``), so they run on any clone, and a test
checks that it still equals the shared one wherever that is present.

Path templates may be given with or without the trailing slash the real API
is called with (``/v1/direct_numbers/available/{direction_id}/``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = REPO_ROOT / "tests" / "contract" / "zadarma_openapi.json"
SHARED_SPEC_FILE = REPO_ROOT.parent / "shared" / "zadarma" / "openapi.json"


@functools.cache
def _read_spec(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_spec() -> dict[str, Any]:
    """The parsed spec (the copy kept with the tests)."""
    return _read_spec(SPEC_FILE)


def spec_template(path_template: str) -> str:
    """The spec's spelling of a path: leading ``/v1``, no trailing slash."""
    path = "/" + path_template.strip("/")
    if not path.startswith("/v1/"):
        path = "/v1" + path
    return path


def operation(method: str, path_template: str) -> dict[str, Any]:
    """The spec's operation object for ``method`` on ``path_template``."""
    spec = load_spec()
    path = spec_template(path_template)
    try:
        item = spec["paths"][path]
    except KeyError:
        raise KeyError(f"{path} is not in the spec") from None
    try:
        op: dict[str, Any] = item[method.lower()]
    except KeyError:
        raise KeyError(f"{method.upper()} {path} is not in the spec") from None
    return op


def response_schema(method: str, path_template: str, status: str = "200") -> dict[str, Any]:
    """The JSON schema of the ``status`` response of ``method`` ``path_template``."""
    op = operation(method, path_template)
    schema: dict[str, Any] = op["responses"][status]["content"]["application/json"]["schema"]
    return schema


def validate_response(method: str, path_template: str, payload: Any, status: str = "200") -> None:
    """Raise ``jsonschema.ValidationError`` unless ``payload`` matches the spec's response schema."""
    schema = response_schema(method, path_template, status)
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(payload)

"""Document rules: uploadable types, file checks and document-group fields.

Group validation follows ``documents/groups/create`` in the spec: the fields
in :data:`REQUIRED_GROUP_FIELDS` must be non-empty, and optional fields with
a format (``nationality``, dates, ``type_of_id``) must match it. Every error
names the field and says what is expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

DOCUMENT_TYPES: tuple[str, ...] = (
    "certificate",
    "contract",
    "company_letter",
    "inn_ua",
    "passport",
    "phone_bill",
    "photo_with_doc",
    "photo_with_passport",
    "receipt",
    "driver_id_us_ca",
    "driver_id_other",
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

SALUTATIONS = ("MR", "MS", "COMPANY")
TYPES_OF_ID = ("PASSPORT", "DNI", "NIE", "RESIDENCE_PERMIT", "NATIONAL_ID_CARD", "BUSINESS_REGISTRATION")

# fmt: off
REQUIRED_GROUP_FIELDS: tuple[str, ...] = (
    "email", "salutation", "first_name", "last_name", "country", "city",
    "address", "zip_code", "street", "building_number", "phone",
)
OPTIONAL_GROUP_FIELDS: tuple[str, ...] = (
    "nationality", "middle_name", "date_of_birth", "organization", "organization_description",
    "organization_reg_number", "region", "street_code", "municipality_code", "building_letter",
    "type_of_id", "id_number", "issuing_authority", "issuing_date",
)
# fmt: on
GROUP_FIELDS: tuple[str, ...] = REQUIRED_GROUP_FIELDS + OPTIONAL_GROUP_FIELDS

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^\+?[0-9]{5,15}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
)


def sniff_file_type(content: bytes) -> str | None:
    """``jpeg``, ``png`` or ``pdf`` by magic bytes; ``None`` for anything else."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    return None


def _date_error(field: str, value: str) -> str | None:
    if not _DATE.match(value):
        return f"{field} must be a date in the format YYYY-MM-DD, got {value!r}"
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"{field} must be a real calendar date (YYYY-MM-DD), got {value!r}"
    return None


def _field_error(field: str, value: str) -> str | None:
    if field == "email" and not _EMAIL.match(value):
        return f"email must be a valid e-mail address like user@example.com, got {value!r}"
    if field == "salutation" and value not in SALUTATIONS:
        return f"salutation must be one of {', '.join(SALUTATIONS)}, got {value!r}"
    if field in ("country", "nationality") and not _ISO2.match(value):
        return f"{field} must be an ISO 3166-1 alpha-2 code in upper case (e.g. DE), got {value!r}"
    if field == "phone" and not _PHONE.match(value):
        return f"phone must be digits with an optional leading + (e.g. 4930123456), got {value!r}"
    if field in ("date_of_birth", "issuing_date"):
        return _date_error(field, value)
    if field == "type_of_id" and value not in TYPES_OF_ID:
        return f"type_of_id must be one of {', '.join(TYPES_OF_ID)}, got {value!r}"
    return None


def validate_group_fields(
    submitted: Mapping[str, str], current: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """Check a group's fields and return the merged record.

    ``submitted`` holds the fields sent in the request; on update, ``current``
    holds the stored values and fields that were not sent keep them. Empty
    optional fields are stored as ``None``. Raises :class:`ValueError` whose
    message lists every problem (each naming its field).
    """
    merged: dict[str, str | None] = {f: None for f in GROUP_FIELDS}
    if current is not None:
        merged.update({f: current.get(f) for f in GROUP_FIELDS})
    for field in GROUP_FIELDS:
        if field in submitted:
            merged[field] = submitted[field].strip() or None
    problems: list[str] = []
    for field in GROUP_FIELDS:
        current_value = merged[field]
        if not current_value:
            if field in REQUIRED_GROUP_FIELDS:
                problems.append(f"{field} is required")
            continue
        error = _field_error(field, current_value)
        if error:
            problems.append(error)
    if problems:
        raise ValueError("Invalid document group: " + "; ".join(problems))
    return merged

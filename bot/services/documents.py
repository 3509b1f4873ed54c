"""Document groups and identity documents, owned by the user who created them.

Files are checked by content (JPEG, PNG or PDF, decoded) and size before
upload (:mod:`bot.services.file_check`), kept in memory only, and never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.services.actors import Actor
from bot.services.api_errors import api
from bot.services.errors import InvalidInput, NotYours
from bot.services.file_check import CheckedFile
from bot.services.validation import group_answers, group_field
from bot.storage import Storage
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.models import (
    DOCUMENT_TYPES,
    CheckingWrongs,
    Direction,
    DocumentFile,
    DocumentGroup,
    GroupValidity,
    UploadResult,
)
from bot.zadarma.parsing import DirectionId

# Fields ``documents/groups/create`` (and ``groups/update``) requires, in the order a form asks for them.
REQUIRED_GROUP_FIELDS: tuple[str, ...] = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "city",
    "zip_code",
    "street",
    "building_number",
    "address",
)
OPTIONAL_GROUP_FIELDS: tuple[str, ...] = ("middle_name",)
COMPANY = "COMPANY"
#: What a company group adds; ``organization`` is required when the salutation is COMPANY.
COMPANY_FIELDS: tuple[str, ...] = ("organization", "organization_reg_number", "organization_description")
#: The optional identity fields of the spec, asked when a direction's ``specify`` names them
#: and always editable from "My documents".
IDENTITY_FIELDS: tuple[str, ...] = (
    "nationality",
    "date_of_birth",
    "type_of_id",
    "id_number",
    "issuing_authority",
    "issuing_date",
)
#: Address details some countries need (Denmark's codes, a building letter, a region).
ADDRESS_DETAIL_FIELDS: tuple[str, ...] = ("region", "building_letter", "street_code", "municipality_code")
KNOWN_GROUP_FIELDS = frozenset(
    {
        *REQUIRED_GROUP_FIELDS,
        *OPTIONAL_GROUP_FIELDS,
        *COMPANY_FIELDS,
        *IDENTITY_FIELDS,
        *ADDRESS_DETAIL_FIELDS,
    }
)
PURPOSE = "purpose"


@dataclass(frozen=True)
class FormField:
    """One question of the document-group form."""

    name: str
    required: bool


def check_answer(
    name: str, value: str, answers: Mapping[str, str] | None = None, *, country_must_be: str = ""
) -> str:
    """One form answer checked by the documents form's rules; the normalised value.

    Every form (new group, edit, Slack modal) goes through here, so a field has one rule.
    ``answers`` are the group's other (checked) values: a postcode is checked against
    their country. ``country_must_be`` is the direction's country when its address must be there.
    """
    if name not in KNOWN_GROUP_FIELDS:
        raise InvalidInput("invalid.field", field=name)
    checked = group_field(name, value, answers)
    if name == "country" and country_must_be and checked != country_must_be.upper():
        raise InvalidInput("form.country_mismatch", iso=country_must_be.upper())
    return checked


def _specified(direction: Direction | None) -> list[str]:
    """The known group fields a direction's ``specify`` names (unknown names are only shown)."""
    return [name for name in (direction.specify if direction else ()) if name in KNOWN_GROUP_FIELDS]


def group_form(direction: Direction | None, salutation: str | None = None) -> list[FormField]:
    """The questions for a new group: the required fields, the organization of a company,
    what the direction specifies, then the optional ones."""
    fields = [FormField(name, True) for name in REQUIRED_GROUP_FIELDS]
    if salutation == COMPANY:
        fields.insert(1, FormField("organization", True))
    seen = {f.name for f in fields}
    for name in _specified(direction):
        if name not in seen:
            fields.append(FormField(name, True))
            seen.add(name)
    fields += [FormField(name, False) for name in OPTIONAL_GROUP_FIELDS if name not in seen]
    return fields


def edit_form(direction: Direction | None, salutation: str | None) -> list[FormField]:
    """Every field a group's owner may correct, required ones marked (as the spec and the direction say)."""
    specified = set(_specified(direction))
    company = salutation == COMPANY
    fields = [FormField(name, True) for name in REQUIRED_GROUP_FIELDS]
    fields.insert(2, FormField("middle_name", "middle_name" in specified))
    extra = [*COMPANY_FIELDS, *IDENTITY_FIELDS, *ADDRESS_DETAIL_FIELDS]
    for name in extra:
        if name in COMPANY_FIELDS and not company and name not in specified:
            continue
        if name in ("street_code", "municipality_code") and name not in specified:
            continue  # Denmark only: offered when a direction asks for them
        required = name in specified or (company and name == "organization")
        fields.append(FormField(name, required))
    return fields


def missing_details(group: DocumentGroup, direction: Direction | None) -> list[str]:
    """Details the group lacks: what the direction specifies (unknown names as given) and a
    company's organization. ``groups/valid`` stays the judge; this says what to ask for."""
    names = [n for n in (direction.specify if direction else ()) if n != PURPOSE]
    if group.salutation == COMPANY:
        names.append("organization")
    return [n for n in dict.fromkeys(names) if n not in KNOWN_GROUP_FIELDS or not getattr(group, n, None)]


def group_values(group: DocumentGroup) -> dict[str, str]:
    """The group's filled-in fields by name (what an edit starts from)."""
    values: dict[str, str] = {}
    for name in sorted(KNOWN_GROUP_FIELDS):
        value = getattr(group, name, None)
        if value:
            values[name] = str(value)
    return values


def _require_complete(fields: Mapping[str, str]) -> None:
    """Every field the API requires is filled in (and a company's organization)."""
    missing = [n for n in REQUIRED_GROUP_FIELDS if not fields.get(n)]
    if fields.get("salutation") == COMPANY and not fields.get("organization"):
        missing.append("organization")
    if missing:
        raise InvalidInput("invalid.group_incomplete", fields=", ".join(missing))


class DocumentsService:
    """Document groups and uploads, with ownership re-checked on every call."""

    def __init__(self, client: ZadarmaClient, storage: Storage) -> None:
        self._client = client
        self._storage = storage

    async def ensure_access(self, actor: Actor, group_id: int) -> None:
        """Raise :class:`NotYours` unless the actor may use ``group_id``."""
        if actor.is_operator:
            return
        if await self._storage.ownership.owner_of_group(group_id) != actor.user:
            raise NotYours(group=group_id)

    async def groups_for(self, actor: Actor) -> list[DocumentGroup]:
        """The actor's groups (operators: all)."""
        groups = await api(self._client.document_groups())
        if actor.is_operator:
            return groups
        mine = set(await self._storage.ownership.groups_of(actor.user))
        return [g for g in groups if g.id in mine]

    async def group(self, actor: Actor, group_id: int) -> DocumentGroup:
        """One group."""
        await self.ensure_access(actor, group_id)
        return await api(self._client.document_group(group_id))

    async def create_group(
        self, actor: Actor, answers: Mapping[str, str], direction_id: DirectionId | None = None
    ) -> DocumentGroup:
        """Create a group from validated form answers; it belongs to the actor."""
        for name in answers:
            if name not in KNOWN_GROUP_FIELDS:
                raise InvalidInput("invalid.field", field=name)
        fields, errors = group_answers(answers)
        if errors:
            raise next(iter(errors.values()))
        _require_complete(fields)
        group = await api(self._client.create_document_group(fields, direction_id=direction_id))
        await self._storage.ownership.assign_group(group.id, actor.user)
        await self._storage.audit.record(
            actor=actor.label, action="group_create", target=f"group:{group.id}", details={}, result="ok"
        )
        return group

    async def update_group(
        self,
        actor: Actor,
        group_id: int,
        changes: Mapping[str, str],
        direction_id: DirectionId | None = None,
    ) -> DocumentGroup:
        """Correct one of the actor's groups: ``changes`` (an empty value clears an optional field)
        over its current values, each change checked by the form's rules.

        ``groups/update`` requires the same fields as create, so the whole record is sent.
        """
        await self.ensure_access(actor, group_id)
        current = await api(self._client.document_group(group_id))
        if current.is_readonly:
            raise InvalidInput("invalid.group_readonly")
        fields = group_values(current)
        for name in sorted(changes, key=lambda n: n != "country"):  # a postcode is checked against it
            value = changes[name]
            if value.strip():
                fields[name] = check_answer(name, value, fields)
            elif name in REQUIRED_GROUP_FIELDS or name not in KNOWN_GROUP_FIELDS:
                raise InvalidInput(
                    "invalid.empty" if name in KNOWN_GROUP_FIELDS else "invalid.field", field=name
                )
            else:
                fields[name] = ""  # sent empty: the API clears it
        _require_complete(fields)
        group = await api(self._client.update_document_group(group_id, fields, direction_id=direction_id))
        await self._storage.audit.record(
            actor=actor.label,
            action="group_update",
            target=f"group:{group_id}",
            details={"fields": ",".join(sorted(changes))},
            result="ok",
        )
        return group

    async def upload(
        self, actor: Actor, group_id: int, document_type: str, file: CheckedFile
    ) -> UploadResult:
        """Upload one checked file to one of the actor's groups."""
        await self.ensure_access(actor, group_id)
        result = await api(
            self._client.upload_document(group_id, document_type, file.filename, file.content, file.mime)
        )
        await self._storage.audit.record(
            actor=actor.label,
            action="upload",
            target=f"group:{group_id}",
            details={"document_type": document_type, "size": len(file.content)},
            result="ok",
        )
        return result

    async def files(self, actor: Actor, group_id: int) -> list[DocumentFile]:
        """Files of one group with their verification state."""
        await self.ensure_access(actor, group_id)
        return await api(self._client.document_files(group_id))

    async def validity(self, actor: Actor, group_id: int, direction_id: DirectionId) -> GroupValidity:
        """Whether the group may order in the direction."""
        await self.ensure_access(actor, group_id)
        return await api(self._client.group_validity(group_id, direction_id))

    async def wrongs(self, actor: Actor, group_id: int) -> CheckingWrongs:
        """Why the group's documents or address were rejected."""
        await self.ensure_access(actor, group_id)
        return await api(self._client.checking_wrongs(group_id))

    async def missing_uploads(self, actor: Actor, group_id: int, direction: Direction) -> list[str]:
        """Document types the direction needs that the group has not uploaded (or had rejected)."""
        files = await self.files(actor, group_id)
        have = {f.type for f in files}
        wrongs = await self.wrongs(actor, group_id)
        rejected = {wrongs.document_type} if wrongs.document_message and wrongs.document_type else set()
        # Only types the upload call accepts can be asked for; others are shown as given.
        return [t for t in direction.upload if t in DOCUMENT_TYPES and (t not in have or t in rejected)]

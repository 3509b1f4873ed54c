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
from bot.services.validation import group_answers
from bot.storage import Storage
from bot.zadarma.client import ZadarmaClient
from bot.zadarma.models import (
    CheckingWrongs,
    Direction,
    DocumentFile,
    DocumentGroup,
    GroupValidity,
    UploadResult,
)

# Fields ``documents/groups/create`` requires, in the order a form asks for them.
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
KNOWN_GROUP_FIELDS = frozenset(
    {
        *REQUIRED_GROUP_FIELDS,
        *OPTIONAL_GROUP_FIELDS,
        "nationality",
        "date_of_birth",
        "organization",
        "organization_description",
        "organization_reg_number",
        "region",
        "street_code",
        "municipality_code",
        "building_letter",
        "type_of_id",
        "id_number",
        "issuing_authority",
        "issuing_date",
    }
)


@dataclass(frozen=True)
class FormField:
    """One question of the document-group form."""

    name: str
    required: bool


def group_form(direction: Direction | None) -> list[FormField]:
    """The questions to ask for a new group: the required fields plus what the direction specifies."""
    fields = [FormField(name, True) for name in REQUIRED_GROUP_FIELDS]
    seen = set(REQUIRED_GROUP_FIELDS)
    for name in direction.specify if direction else ():
        if name in KNOWN_GROUP_FIELDS and name not in seen:
            fields.append(FormField(name, True))
            seen.add(name)
    fields += [FormField(name, False) for name in OPTIONAL_GROUP_FIELDS if name not in seen]
    return fields


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
        self, actor: Actor, answers: Mapping[str, str], direction_id: int | None = None
    ) -> DocumentGroup:
        """Create a group from validated form answers; it belongs to the actor."""
        for name in answers:
            if name not in KNOWN_GROUP_FIELDS:
                raise InvalidInput("invalid.field", field=name)
        fields, errors = group_answers(answers)
        if errors:
            raise next(iter(errors.values()))
        group = await api(self._client.create_document_group(fields, direction_id=direction_id))
        await self._storage.ownership.assign_group(group.id, actor.user)
        await self._storage.audit.record(
            actor=actor.label, action="group_create", target=f"group:{group.id}", details={}, result="ok"
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

    async def validity(self, actor: Actor, group_id: int, direction_id: int) -> GroupValidity:
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
        return [t for t in direction.upload if t not in have or t in rejected]

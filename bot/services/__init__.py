"""The service layer: one place that calls Zadarma and keeps the bot's records."""

from __future__ import annotations

from dataclasses import dataclass

from bot.coord import KeyLocks, LocalLocks
from bot.coord.in_hand import InHand
from bot.services.actors import Actor
from bot.services.catalog import CatalogService
from bot.services.documents import DocumentsService
from bot.services.number_events import NumberEventsService
from bot.services.numbers import NumbersService
from bot.services.ordering import OrderingService
from bot.services.ports import ConversationStore, UserDirectory
from bot.storage import Storage
from bot.zadarma.client import ZadarmaClient


@dataclass(frozen=True)
class Services:
    """Every service, built once by the composition root and handed down.

    Besides the services, what the conversation engine keeps: the stored
    conversations, the users' preferences, and the locks that run one
    conversation's events one at a time (across replicas when shared).
    """

    catalog: CatalogService
    numbers: NumbersService
    documents: DocumentsService
    ordering: OrderingService
    events: NumberEventsService
    conversations: ConversationStore
    users: UserDirectory
    conversation_locks: KeyLocks

    @classmethod
    def build(
        cls,
        client: ZadarmaClient,
        storage: Storage,
        *,
        catalog_ttl: float = 600.0,
        settle_window: float = 120.0,
        sms_retention_days: int = 30,
        conversation_locks: KeyLocks | None = None,
        in_hand: InHand | None = None,
    ) -> Services:
        """Wire the services over one client and one store; conversations lock in process by default."""
        catalog = CatalogService(client, ttl=catalog_ttl)
        numbers = NumbersService(client, storage, catalog)
        return cls(
            catalog=catalog,
            numbers=numbers,
            documents=DocumentsService(client, storage),
            ordering=OrderingService(
                client, storage, numbers, catalog, settle_window=settle_window, in_hand=in_hand
            ),
            events=NumberEventsService(storage, numbers, retention_days=sms_retention_days),
            conversations=storage.conversations,
            users=storage.users,
            conversation_locks=conversation_locks if conversation_locks is not None else LocalLocks(),
        )


__all__ = ["Actor", "Services"]

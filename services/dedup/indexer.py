"""The identity index over its MongoDB store, as the benchmark and the integration tests drive
it: they read the store's collections and round trips, so the store keeps its own type here."""

from .adapters.store import IdentityStore
from .ports import Clock, Produced
from .usecases import index
from .usecases.index import Change

__all__ = ["Change", "Indexer", "Produced"]


class Indexer(index.Indexer):
    store: IdentityStore

    def __init__(self, store: IdentityStore, pepper: bytes, today: Clock, search_key: bytes = b"") -> None:
        super().__init__(store, pepper, today, search_key)

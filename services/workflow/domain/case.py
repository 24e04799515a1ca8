"""The case of one problem group (DOMAIN §4–6), the aggregate every use case loads and saves.

Its state is ``state.py``; each rule module adds the methods of one part of the handling
(membership, the school's actions, review, arbitration, re-initiation, deadlines). A
method changes the case and appends what happened, as contract events, to ``pending``
and as ``AuditEntry`` to ``audit``; the adapter stores state, events and audit together.
"""

from .actions import Actions
from .arbitration import Arbitration
from .deadlines import Deadlines
from .membership import Membership
from .reinitiation import Reinitiation
from .review import Review
from .state import GONE, PRODUCER, Actor, AuditEntry, Member, Stage


class Case(Membership, Actions, Review, Arbitration, Reinitiation, Deadlines):
    """One group's case: its state and every rule that changes it."""


__all__ = ["GONE", "PRODUCER", "Actor", "AuditEntry", "Case", "Member", "Stage"]

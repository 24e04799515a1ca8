"""The evidence use cases: store checked files once per content and member, issue audited links,
learn from case events who the members and arbiters are, and sweep away objects no record names.

The school names its member by registry number (its own record); here it becomes the member's
``member_ref`` at once, and objects, records and what is known of each group's members are kept
under that (DOMAIN §8). Only the ``evidence.stored`` event carries the registry number, for the
workflow.
"""

from .linking import link_evidence
from .parties import learn_parties, learn_parties_of, member_of
from .storing import Stored, store_evidence
from .sweeping import ORPHANS_REMOVED, sweep_orphans

__all__ = ["ORPHANS_REMOVED", "Stored", "learn_parties", "learn_parties_of", "link_evidence", "member_of",
           "store_evidence", "sweep_orphans"]

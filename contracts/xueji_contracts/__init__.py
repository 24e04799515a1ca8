"""xueji message contracts: events, commands, topics, JSON Schemas and the AsyncAPI document.

Installable on its own (``pip install xueji-contracts``): province systems use it to
read their case topic and to verify webhook signatures.
"""

from . import cases, commands, enums, evidence, notifications, population, problems, students, topics
from .envelope import SCHEMA_VERSION, Envelope
from .provinces import PROVINCES, province_of
from .topics import case_topic, catalogue

__all__ = [
    "PROVINCES",
    "SCHEMA_VERSION",
    "Envelope",
    "case_topic",
    "cases",
    "catalogue",
    "commands",
    "enums",
    "evidence",
    "notifications",
    "population",
    "problems",
    "province_of",
    "students",
    "topics",
]

"""Composition root of the workflow service: ``xueji-workflow``. It only names the parts."""

from fastapi import FastAPI

from services.common.outbox import OutboxRelay
from services.common.service import Plumbing, assemble, every
from services.common.service import run as run_service

from . import api
from .adapters.progress import ProgressStore
from .adapters.store import CaseStore
from .cases import Cases
from .handlers import register_handlers
from .settings import WorkflowSettings

SERVICE = "xueji-workflow"


def create_app(settings: WorkflowSettings | None = None) -> FastAPI:
    settings = settings or WorkflowSettings()
    plumbing = Plumbing(SERVICE, settings, "Cases of problem groups: handling, review, arbitration.")
    store = CaseStore(plumbing.db, settings.deadline_policy)
    progress = ProgressStore(plumbing.db, takeover_seconds=settings.PROGRESS_TAKEOVER_SECONDS)
    # the relay counts the progress of what it published: it gathers for as long as a sweep would, since
    # each count updates every division it touches once, however many cases it counts
    relay = OutboxRelay(store.cases, plumbing.broker, clear_after=settings.PROGRESS_SWEEP_SECONDS,
                        empty=progress.count_and_empty)
    cases = Cases(store, relay, settings.RULE_SET, settings.member_ref, by_province=settings.RULE_SETS,
                  name_search_key=settings.NAME_SEARCH_KEY.get_secret_value().encode(), progress=progress,
                  policy=settings.deadline_policy, count_inline=settings.PROGRESS_INLINE)
    return assemble(
        plumbing,
        subscribers=lambda: register_handlers(plumbing.broker, settings, cases, plumbing.dead_letters),
        routers=[api.router(cases, settings.PAGE_SIZE_MAX)],
        on_start=[store.ensure_indexes, progress.ensure_indexes],
        on_stop=[relay.settled],
        background=[
            every(settings.OUTBOX_SWEEP_SECONDS, relay.sweep, "outbox sweep"),
            every(settings.DEADLINE_SCAN_SECONDS, lambda: cases.fire_deadlines(settings.deadline_policy),
                  "deadlines"),
            every(settings.PROGRESS_SWEEP_SECONDS, lambda: progress.sweep(leave=relay.waiting()),
                  "progress sweep"),
        ],
        state={"cases": cases},
    )


def run() -> None:
    run_service(SERVICE, WorkflowSettings, create_app)

"""Every entry of a case's history the workflow records reads in Chinese on the console."""

from xueji_contracts.enums import Action, ArbitrationStatus, DeadlineStage, ReviewDecision, SettlementOutcome

from services.console.wording import history_text

FIXED = ("amendment_applied", "amendment_left_problem", "arbitration_approved", "arbitration_rejected",
         "auto_rejected", "deletion_confirmed", "group_closed", "group_opened",
         "group_opened_by_reinitiation",
         "group_reopened", "member_details_changed", "member_joined", "reinitiated", "request_cancelled",
         "request_withdrawn", "request_declined")


def test_every_recorded_entry_has_its_chinese_wording() -> None:
    recorded = [*FIXED, *(f"arbitration_{s.value}" for s in ArbitrationStatus),
                *(f"reviewed_{d.value}" for d in ReviewDecision),
                *(f"settled_{o.value}" for o in SettlementOutcome),
                *(f"submitted_{a.value}" for a in Action),
                *(f"deadline_{k}_{s.value}" for k in ("reminder", "escalated") for s in DeadlineStage),
                "side_finished_440000"]
    untranslated = [what for what in recorded if history_text(what) == what or not history_text(what).strip()]
    assert untranslated == []

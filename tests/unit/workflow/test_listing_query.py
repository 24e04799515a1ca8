"""A listing's query: the caller's jurisdiction always holds, and the listing key of the narrowest field
leads."""

from datetime import UTC, datetime

from services.workflow.adapters.store import listing_query


def test_a_bureau_review_list_leads_with_what_awaits_review_not_with_the_whole_district() -> None:
    query = listing_query({"district_codes": "110105"}, {"reviews_due": "110105"})
    assert next(iter(query)) == "listing_keys"
    assert query == {"listing_keys": "reviews_due:110105", "reviews_due": "110105",
                     "district_codes": "110105"}


def test_the_jurisdiction_leads_a_case_list_and_the_other_filters_follow() -> None:
    since = {"$gte": datetime(2026, 1, 1, tzinfo=UTC)}
    query = listing_query({"school_codes": "1101050001"}, {"opened_at": since, "closed": False})
    assert query == {"listing_keys": "school_codes:1101050001", "opened_at": since, "closed": False,
                     "school_codes": "1101050001"}


def test_a_filter_never_widens_the_jurisdiction() -> None:
    assert listing_query({"district_codes": "110105"}, {"district_codes": "999999"}) == {
        "listing_keys": "district_codes:110105", "district_codes": "110105"
    }


def test_an_operator_sees_everything_the_filters_allow() -> None:
    assert listing_query(None, {"closed": True}) == {"closed": True}

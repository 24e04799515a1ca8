"""The two rule sets of DOMAIN §7, as data, and the checks that read them.

Each check returns ``None`` when the action is allowed, else the name of the rule that
forbids it (shown to the school in the 409 problem response).
"""

from dataclasses import dataclass
from typing import Literal

from xueji_contracts.enums import ProblemType, RecordStatus, RuleSet
from xueji_contracts.problems import MemberBrief

ID_ERRORS = (ProblemType.ID_NOT_FOUND, ProblemType.ID_NAME_MISMATCH)
ID_PROBLEMS = (*ID_ERRORS, ProblemType.ID_CHANGED)


@dataclass(frozen=True)
class Rules:
    rule_set: RuleSet
    l_with_g_may_attest: bool
    double_g_attest: Literal["matching_side_only", "both"]
    g_may_delete: bool
    may_reinitiate: bool
    id_errors_may_attest: bool
    id_changed_exists: bool
    cross_province: Literal["each_side", "national"] = "each_side"  # §5: no arbitration across provinces


RULE_SETS = {
    RuleSet.R2014: Rules(
        RuleSet.R2014,
        l_with_g_may_attest=False,
        double_g_attest="matching_side_only",
        g_may_delete=False,
        may_reinitiate=False,
        id_errors_may_attest=False,
        id_changed_exists=False,
    ),
    RuleSet.R2017: Rules(
        RuleSet.R2017,
        l_with_g_may_attest=True,
        double_g_attest="both",
        g_may_delete=True,
        may_reinitiate=True,
        id_errors_may_attest=True,
        id_changed_exists=True,
    ),
}


def may_attest(
    rules: Rules, problem_type: ProblemType, member: MemberBrief, others: list[MemberBrief]
) -> str | None:
    if problem_type in ID_ERRORS and not rules.id_errors_may_attest:
        return f"rule_set_{rules.rule_set}.id_errors_may_not_attest"
    if problem_type is ProblemType.ID_CHANGED and not rules.id_changed_exists:
        return f"rule_set_{rules.rule_set}.id_changed_not_recognised"
    if problem_type is not ProblemType.DUPLICATE_ID:
        return None
    other_prefixes = {o.registry_prefix for o in others}
    if member.registry_prefix == "L" and "G" in other_prefixes and not rules.l_with_g_may_attest:
        return f"rule_set_{rules.rule_set}.l_with_g_may_not_attest"
    if (
        member.registry_prefix == "G"
        and "G" in other_prefixes
        and rules.double_g_attest == "matching_side_only"
        and not member.id_matches_registry
    ):
        return f"rule_set_{rules.rule_set}.double_g_only_matching_side_attests"
    return None


def may_delete(rules: Rules, member: MemberBrief) -> str | None:
    """Only G records were beyond deletion in 2014; a formal J or L record is deleted after review."""
    if member.registry_prefix == "G" and not rules.g_may_delete:
        return f"rule_set_{rules.rule_set}.g_record_may_not_be_deleted"
    return None


def deletion_needs_review(member: MemberBrief) -> bool:
    """A pending record is deleted by registrar + leader; a formal one (or a G number) also by the bureau."""
    return member.registry_prefix == "G" or member.status is RecordStatus.FORMAL


def may_reinitiate(rules: Rules) -> str | None:
    return None if rules.may_reinitiate else f"rule_set_{rules.rule_set}.no_reinitiation"


def rule_set_for(provinces: tuple[str, ...], by_province: dict[str, RuleSet], default: RuleSet) -> RuleSet:
    """The rule set a new group opens under (§7 [decided]): its provinces' configured set when they
    agree, else the national default (a group keeps it to the end)."""
    chosen = {by_province.get(p, default) for p in provinces}
    return chosen.pop() if len(chosen) == 1 else default

"""Routing rules: which team members may take a new conversation, first matching rule wins.

A rule matches on the conversation's language and triage intent (an empty list matches
anything) and names a team, a person, or nobody (then every member of the store is a
candidate). Candidates are narrowed by what they declare: a member who lists languages only
takes those, and a rule's skills must all be among the member's. Whether a candidate may
work the store at all is the permission model's answer, asked by the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MemberProfile:
    languages: frozenset[str] = frozenset()  # empty: any language
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoutingRule:
    name: str  # shown in the audit event: which rule chose the assignee
    languages: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    team: str | None = None
    member: str | None = None

    def matches(self, language: str | None, intent: str | None) -> bool:
        if self.languages and (language or "") not in self.languages:
            return False
        return not self.intents or (intent or "") in self.intents


@dataclass(frozen=True)
class RoutingPolicy:
    rules: Mapping[str, Sequence[RoutingRule]]  # per store, in order
    teams: Mapping[str, Sequence[str]] = field(default_factory=dict)
    profiles: Mapping[str, MemberProfile] = field(default_factory=dict)

    def routes(self, store_id: str) -> bool:
        return bool(self.rules.get(store_id))

    def candidates(
        self,
        rule: RoutingRule,
        language: str | None,
        store_members: Sequence[str],
    ) -> list[str]:
        """Who the rule offers, in the rule's order, before roles and load are considered."""
        if rule.member is not None:
            pool: Sequence[str] = [rule.member]
        elif rule.team is not None:
            pool = self.teams.get(rule.team, ())
        else:
            pool = sorted(store_members)
        return [m for m in pool if self._fits(m, rule, language)]

    def _fits(self, member_id: str, rule: RoutingRule, language: str | None) -> bool:
        profile = self.profiles.get(member_id, MemberProfile())
        if profile.languages and (language or "") not in profile.languages:
            return False
        return rule.skills <= profile.skills


def least_loaded(candidates: Sequence[str], open_counts: Mapping[str, int]) -> str | None:
    """Fewest open conversations wins; ties go to the earlier candidate."""
    if not candidates:
        return None
    return min(enumerate(candidates), key=lambda pair: (open_counts.get(pair[1], 0), pair[0]))[1]

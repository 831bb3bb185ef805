"""Routing and SLA in the config file: `[[teams]]`, `[stores.routing]`, `[stores.sla]`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.routing import MemberProfile, RoutingPolicy, RoutingRule
from bot.domain.sla import SlaPolicy

SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamConfig(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    members: Annotated[list[str], Field(min_length=1)]


class RoutingRuleConfig(_Strict):
    """Matches on language and/or triage intent (empty: any) and names a team, a person,
    or neither (then anyone in the store); `skills` must all be among the assignee's."""

    name: str | None = Field(default=None, description="shown in the audit; default rule-<n>")
    languages: list[str] = Field(default_factory=list)
    intents: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    team: str | None = None
    member: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.team is not None and self.member is not None:
            raise ValueError("a routing rule names a team or a member, not both")
        return self


class RoutingConfig(_Strict):
    rules: list[RoutingRuleConfig] = Field(default_factory=list)


class SlaConfig(_Strict):
    """Response targets, counted from the customer message that started the wait."""

    first_response_seconds: Annotated[float, Field(gt=0, le=7 * 86400)] = 120.0
    next_response_seconds: Annotated[float, Field(gt=0, le=7 * 86400)] = 300.0
    reminder_seconds: Annotated[float, Field(gt=0, le=7 * 86400)] = 30.0

    @model_validator(mode="after")
    def _reminder_before_targets(self) -> Self:
        shortest = min(self.first_response_seconds, self.next_response_seconds)
        if self.reminder_seconds >= shortest:
            raise ValueError(
                f"reminder_seconds ({self.reminder_seconds:g}) must be shorter than both "
                f"targets (shortest {shortest:g})"
            )
        return self

    def policy(self) -> SlaPolicy:
        return SlaPolicy(
            self.first_response_seconds, self.next_response_seconds, self.reminder_seconds
        )


class _StoreRouting(Protocol):
    """What `check_routing` and `routing_policy` need of a store entry."""

    @property
    def id(self) -> str: ...
    @property
    def routing(self) -> RoutingConfig | None: ...


class _StoreSla(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def sla(self) -> SlaConfig | None: ...


def sla_policies(stores: Iterable[_StoreSla]) -> dict[str, SlaPolicy]:
    """Per store id, for the stores that set `[stores.sla]` (the others have no timers)."""
    return {store.id: store.sla.policy() for store in stores if store.sla is not None}


def check_routing(
    teams: Sequence[TeamConfig], members: Iterable[str], stores: Iterable[_StoreRouting]
) -> None:
    """Teams and rules may only name members and teams the file defines."""
    known = set(members)
    team_ids: set[str] = set()
    for team in teams:
        if team.id in team_ids:
            raise ValueError(f"teams: id {team.id!r} is used twice")
        team_ids.add(team.id)
        for member_id in team.members:
            if member_id not in known:
                raise ValueError(f"team {team.id}: member {member_id!r} is not in [[members]]")
    for store in stores:
        for n, rule in enumerate(store.routing.rules if store.routing else []):
            where = f"store {store.id}: routing.rules[{n}]"
            if rule.team is not None and rule.team not in team_ids:
                raise ValueError(f"{where}: team {rule.team!r} is not in [[teams]]")
            if rule.member is not None and rule.member not in known:
                raise ValueError(f"{where}: member {rule.member!r} is not in [[members]]")


def routing_policy(
    teams: Sequence[TeamConfig],
    profiles: Mapping[str, tuple[Sequence[str], Sequence[str]]],
    stores: Iterable[_StoreRouting],
) -> RoutingPolicy:
    """`profiles` maps member id to (languages, skills) as the file declares them."""
    rules = {
        store.id: [
            RoutingRule(
                name=rule.name or f"rule-{n + 1}",
                languages=frozenset(rule.languages),
                intents=frozenset(rule.intents),
                skills=frozenset(rule.skills),
                team=rule.team,
                member=rule.member,
            )
            for n, rule in enumerate(store.routing.rules)
        ]
        for store in stores
        if store.routing is not None and store.routing.rules
    }
    return RoutingPolicy(
        rules=rules,
        teams={team.id: list(team.members) for team in teams},
        profiles={
            member_id: MemberProfile(frozenset(languages), frozenset(skills))
            for member_id, (languages, skills) in profiles.items()
        },
    )

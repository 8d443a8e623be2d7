"""What the client sends and returns: plain, immutable values (the generated messages stay inside the client)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Event:
    """One interaction. event_id (1 to 128 characters, unique per event) makes a resend apply once."""

    user_id: int
    item_id: int
    timestamp_ms: int
    event_id: str
    model_version: str = ""


@dataclass(frozen=True)
class ScoredItem:
    item_id: int
    score: float


@dataclass(frozen=True)
class Recommendations:
    """The top k items, best first, and the versions that ranked them."""

    items: Tuple[ScoredItem, ...]
    model_version: str
    snapshot_version: str
    unknown_user: bool
    request_id: str
    # True when the service could not read the user's state and ranked from the start state (unknown_user too).
    degraded: bool = False
    # The candidate ids the item snapshot lacks (skipped, each once, in request order).
    unknown_candidates: Tuple[int, ...] = ()


@dataclass(frozen=True)
class ObserveResult:
    """Counts of the last attempt: after a resend, events the first attempt applied count as duplicates."""

    applied: int
    duplicates: int
    late: int
    unknown_items: int


@dataclass(frozen=True)
class CountClicksResult:
    """Counts of the last attempt: after a resend, clicks the first attempt counted count as duplicates."""

    counted: int
    duplicates: int
    too_old: int


@dataclass(frozen=True)
class EndSessionResult:
    closed: bool
    model_version: str

"""RecommenderClient: the Recommender's calls with a deadline on every attempt and retries only where a resend
is safe."""
from __future__ import annotations

import random
import time
from typing import Callable, Iterable, Optional, Sequence, TypeVar

import grpc

from hiertcn_client.types import CountClicksResult, EndSessionResult, Event, ObserveResult, Recommendations, ScoredItem
from hiertcn_client.v1 import inference_pb2 as pb
from hiertcn_client.v1 import inference_pb2_grpc as pb_grpc

T = TypeVar("T")

# UNAVAILABLE: the server could not be reached or could not reach its state store; nothing was changed, or (for
# events) the resend applies each event once by its event_id. Every other status is returned to the caller at once:
# INVALID_ARGUMENT and RESOURCE_EXHAUSTED (message too large) would fail again, and DEADLINE_EXCEEDED means the
# caller's time budget is spent.
_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})


class RecommenderClient:
    """A client of hiertcn.inference.v1.Recommender.

    Every call has a deadline (timeout_s per attempt, 5 s by default: set it to the caller's latency budget; the
    first call also opens the connection). recommend and
    observe are retried on UNAVAILABLE, up to `attempts` attempts in all (3 by default) with exponential backoff from
    backoff_s (50 ms) plus jitter: recommend changes no stored state, and observe resends events the server applies
    once by event_id. end_session is never retried. A failed call raises grpc.RpcError (code() and details() say
    why). Thread-safe, like the gRPC channel it wraps; close it (or use `with`) when done.
    """

    def __init__(self, target: str, *, timeout_s: float = 5.0, attempts: int = 3, backoff_s: float = 0.05,
                 channel: Optional[grpc.Channel] = None) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s is {timeout_s}; must be positive")
        if attempts < 1:
            raise ValueError(f"attempts is {attempts}; at least 1")
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else grpc.insecure_channel(target)
        self.stub = pb_grpc.RecommenderStub(self._channel)
        """The generated stub, for calls the wrapper does not cover (GetUserEmbedding, Backfill, streams)."""

    def recommend(self, user_id: int, k: int = 0, *, candidates: Sequence[int] = (), exclude: Sequence[int] = (),
                  timestamp_ms: int = 0, model_version: str = "", request_id: str = "",
                  timeout_s: Optional[float] = None) -> Recommendations:
        """The top k items for the user (k 0: the server's default, 20), best first; candidates empty ranks the whole
        catalogue; timestamp_ms 0 means the server's clock."""
        request = pb.RecommendRequest(user_id=user_id, k=k, candidate_item_ids=list(candidates),
                                      exclude_item_ids=list(exclude), timestamp_ms=timestamp_ms,
                                      model_version=model_version, request_id=request_id)
        response = self._call(self.stub.Recommend, request, timeout_s, retry=True)
        return Recommendations(items=tuple(ScoredItem(i.item_id, i.score) for i in response.items),
                               model_version=response.model_version, snapshot_version=response.snapshot_version,
                               unknown_user=response.unknown_user, request_id=response.request_id,
                               degraded=response.degraded,
                               unknown_candidates=tuple(response.unknown_candidate_item_ids))

    def observe(self, events: Iterable[Event], *, timeout_s: Optional[float] = None) -> ObserveResult:
        """Applies events (at most 10,000 a call). Each needs its own event_id: that is what makes a resend safe."""
        request = pb.ObserveEventsRequest(events=_messages(events))
        response = self._call(self.stub.ObserveEvents, request, timeout_s, retry=True)
        return ObserveResult(applied=response.applied, duplicates=response.duplicates, late=response.late,
                             unknown_items=response.unknown_items)

    def count_clicks(self, events: Iterable[Event], *, timeout_s: Optional[float] = None) -> CountClicksResult:
        """Counts clicks for a model with the recent-popularity prior only (no user state changes; at most 10,000 a
        call): in a fleet, send every click to every pod. Each counts once per pod by (user_id, event_id), so a resend,
        or a click the pod applied by observe, counts as a duplicate."""
        request = pb.CountClicksRequest(events=_messages(events))
        response = self._call(self.stub.CountClicks, request, timeout_s, retry=True)
        return CountClicksResult(counted=response.counted, duplicates=response.duplicates, too_old=response.too_old)

    def end_session(self, user_id: int, *, model_version: str = "",
                    timeout_s: Optional[float] = None) -> EndSessionResult:
        """Closes the user's open session now. Not retried: the call carries no id to make a resend apply once."""
        response = self._call(self.stub.EndSession, pb.EndSessionRequest(user_id=user_id, model_version=model_version),
                              timeout_s, retry=False)
        return EndSessionResult(closed=response.closed, model_version=response.model_version)

    def close(self) -> None:
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> "RecommenderClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: Callable[..., T], request: object, timeout_s: Optional[float], retry: bool) -> T:
        timeout = self._timeout_s if timeout_s is None else timeout_s
        attempts = self._attempts if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                return method(request, timeout=timeout)
            except grpc.RpcError as e:
                if attempt == attempts or e.code() not in _RETRYABLE:
                    raise
                time.sleep(self._backoff_s * (2 ** (attempt - 1)) * (0.5 + random.random()))
        raise AssertionError("unreachable")


def _messages(events: Iterable[Event]) -> list:
    """The events as messages; an event without an id is refused before anything is sent."""
    messages = []
    for n, e in enumerate(events):
        if not e.event_id:
            raise ValueError(f"events[{n}] (user {e.user_id}) has no event_id; it is what makes a resend apply once")
        messages.append(pb.Event(user_id=e.user_id, item_id=e.item_id, timestamp_ms=e.timestamp_ms,
                                 event_id=e.event_id, model_version=e.model_version))
    return messages

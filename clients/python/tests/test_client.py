"""The wrapper's deadline and retry rules, against a real gRPC server in this process whose answers are scripted
(the real Recommender cannot be told to fail on cue; tests/HierTcn.Inference.Tests runs the package against it)."""
import unittest
from concurrent import futures

import grpc

from hiertcn_client import Event, RecommenderClient
from hiertcn_client.v1 import inference_pb2 as pb
from hiertcn_client.v1 import inference_pb2_grpc as pb_grpc


class ScriptedRecommender(pb_grpc.RecommenderServicer):
    """Fails each method with the queued status codes, then answers; records every request and its deadline."""

    def __init__(self):
        self.failures = {}
        self.calls = []

    def _answer(self, name, request, context, response):
        self.calls.append((name, request, context.time_remaining()))
        queue = self.failures.get(name, [])
        if queue:
            context.abort(queue.pop(0), f"scripted {name} failure")
        return response

    def Recommend(self, request, context):
        items = [pb.ScoredItem(item_id=request.user_id * 10 + n, score=1.0 / (n + 1)) for n in range(request.k)]
        # Scripted: negative candidate ids stand for ids the snapshot lacks.
        unknown = [c for c in request.candidate_item_ids if c < 0]
        return self._answer("Recommend", request, context,
                            pb.RecommendResponse(items=items, model_version="v1", request_id=request.request_id,
                                                 unknown_candidate_item_ids=unknown))

    def ObserveEvents(self, request, context):
        return self._answer("ObserveEvents", request, context, pb.ObserveEventsResponse(applied=len(request.events)))

    def CountClicks(self, request, context):
        return self._answer("CountClicks", request, context, pb.CountClicksResponse(counted=len(request.events)))

    def EndSession(self, request, context):
        return self._answer("EndSession", request, context, pb.EndSessionResponse(closed=True, model_version="v1"))


class RecommenderClientTests(unittest.TestCase):
    def setUp(self):
        self.servicer = ScriptedRecommender()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        pb_grpc.add_RecommenderServicer_to_server(self.servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.client = RecommenderClient(f"127.0.0.1:{port}", timeout_s=5.0, attempts=3, backoff_s=0.001)

    def tearDown(self):
        self.client.close()
        self.server.stop(None)

    def names(self):
        return [name for name, _, _ in self.servicer.calls]

    def test_recommend_unavailableTwice_retriedAndAnswered(self):
        self.servicer.failures["Recommend"] = [grpc.StatusCode.UNAVAILABLE] * 2
        result = self.client.recommend(7, k=3, request_id="r1")
        self.assertEqual(["Recommend"] * 3, self.names())
        self.assertEqual((70, 71, 72), tuple(i.item_id for i in result.items))
        self.assertEqual(("v1", "r1"), (result.model_version, result.request_id))

    def test_recommend_unknownCandidates_reportedInOrder(self):
        result = self.client.recommend(7, k=2, candidates=[5, -3, 6, -1])
        self.assertEqual((-3, -1), result.unknown_candidates)
        self.assertEqual((), self.client.recommend(7, k=2, candidates=[5, 6]).unknown_candidates)

    def test_recommend_unavailableOnEveryAttempt_raisesAfterAttempts(self):
        self.servicer.failures["Recommend"] = [grpc.StatusCode.UNAVAILABLE] * 5
        with self.assertRaises(grpc.RpcError) as raised:
            self.client.recommend(7, k=3)
        self.assertEqual(grpc.StatusCode.UNAVAILABLE, raised.exception.code())
        self.assertEqual(3, len(self.servicer.calls))

    def test_recommend_invalidArgument_notRetried(self):
        self.servicer.failures["Recommend"] = [grpc.StatusCode.INVALID_ARGUMENT]
        with self.assertRaises(grpc.RpcError) as raised:
            self.client.recommend(7, k=3)
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, raised.exception.code())
        self.assertEqual(1, len(self.servicer.calls))

    def test_recommend_deadlineExceeded_notRetried(self):
        self.servicer.failures["Recommend"] = [grpc.StatusCode.DEADLINE_EXCEEDED]
        with self.assertRaises(grpc.RpcError):
            self.client.recommend(7, k=3)
        self.assertEqual(1, len(self.servicer.calls))

    def test_observe_unavailableOnce_resendsTheSameEventIds(self):
        self.servicer.failures["ObserveEvents"] = [grpc.StatusCode.UNAVAILABLE]
        events = [Event(user_id=7, item_id=1000 + n, timestamp_ms=1_704_067_200_000 + n, event_id=f"e{n}") for n in range(3)]
        result = self.client.observe(events)
        self.assertEqual(3, result.applied)
        sent = [[e.event_id for e in request.events] for _, request, _ in self.servicer.calls]
        self.assertEqual([["e0", "e1", "e2"]] * 2, sent)

    def test_observe_eventWithoutId_refusedBeforeSending(self):
        with self.assertRaises(ValueError):
            self.client.observe([Event(user_id=7, item_id=1000, timestamp_ms=1_704_067_200_000, event_id="")])
        self.assertEqual([], self.servicer.calls)

    def test_countClicks_unavailableOnce_resendsTheSameEventIds(self):
        self.servicer.failures["CountClicks"] = [grpc.StatusCode.UNAVAILABLE]
        events = [Event(user_id=7, item_id=1000 + n, timestamp_ms=1_704_067_200_000 + n, event_id=f"c{n}") for n in range(2)]
        result = self.client.count_clicks(events)
        self.assertEqual(2, result.counted)
        sent = [[e.event_id for e in request.events] for _, request, _ in self.servicer.calls]
        self.assertEqual([["c0", "c1"]] * 2, sent)
        with self.assertRaises(ValueError):
            self.client.count_clicks([Event(user_id=7, item_id=1000, timestamp_ms=1_704_067_200_000, event_id="")])
        self.assertEqual(2, len(self.servicer.calls))

    def test_endSession_unavailable_notRetried(self):
        self.servicer.failures["EndSession"] = [grpc.StatusCode.UNAVAILABLE]
        with self.assertRaises(grpc.RpcError):
            self.client.end_session(7)
        self.assertEqual(["EndSession"], self.names())
        self.assertTrue(self.client.end_session(7).closed)

    def test_everyCall_carriesTheDeadline(self):
        self.client.recommend(7, k=1)
        self.client.recommend(7, k=1, timeout_s=2.0)
        self.client.observe([Event(user_id=7, item_id=1000, timestamp_ms=1_704_067_200_000, event_id="d1")])
        self.client.end_session(7)
        remaining = [r for _, _, r in self.servicer.calls]
        # Without a deadline the server sees None; the margin is the deadline's wire rounding.
        self.assertTrue(all(r is not None and 0 < r <= 5.1 for r in remaining), remaining)
        self.assertLess(remaining[1], 2.1)

    def test_unreachableServer_unavailableAfterAttempts(self):
        with RecommenderClient("127.0.0.1:1", timeout_s=2.0, attempts=2, backoff_s=0.001) as client:
            with self.assertRaises(grpc.RpcError) as raised:
                client.recommend(7)
        self.assertEqual(grpc.StatusCode.UNAVAILABLE, raised.exception.code())


if __name__ == "__main__":
    unittest.main()

"""Python client for the HierTCN Recommender (protos/inference.proto; stubs generated at build time).

    from hiertcn_client import RecommenderClient
    with RecommenderClient("127.0.0.1:5090") as client:
        print(client.recommend(user_id=42, k=5))
"""
from hiertcn_client.client import RecommenderClient
from hiertcn_client.types import CountClicksResult, EndSessionResult, Event, ObserveResult, Recommendations, ScoredItem

__all__ = ["RecommenderClient", "Event", "ScoredItem", "Recommendations", "ObserveResult", "CountClicksResult", "EndSessionResult"]

#!/usr/bin/env python3
"""A Recommender client written only against protos/inference.proto, with Python's gRPC (Debian python3-grpcio and
python3-grpc-tools). Generates the stubs into a temporary directory, observes a few events for a user, asks for
recommendations and prints one JSON object: what ObserveEvents and Recommend answered.

    recommend.py --server 127.0.0.1:5090 --proto protos/inference.proto --user 42 --items 1000,1007,1014 \
        --timestamp-ms 1704067200000 [--k 5]
"""
import argparse
import importlib
import json
import os
import sys
import tempfile


def generate(proto_path, out_dir):
    from grpc_tools import protoc
    proto_dir = os.path.dirname(os.path.abspath(proto_path))
    rc = protoc.main(["grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
                      os.path.abspath(proto_path)])
    if rc != 0:
        sys.exit(f"protoc failed on {proto_path} (exit {rc})")
    sys.path.insert(0, out_dir)
    name = os.path.splitext(os.path.basename(proto_path))[0]
    return importlib.import_module(f"{name}_pb2"), importlib.import_module(f"{name}_pb2_grpc")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--proto", required=True)
    parser.add_argument("--user", type=int, required=True)
    parser.add_argument("--items", required=True, help="comma-separated item ids, observed one minute apart")
    parser.add_argument("--timestamp-ms", type=int, required=True, help="time of the first event")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()

    import grpc
    with tempfile.TemporaryDirectory() as out_dir:
        pb2, pb2_grpc = generate(args.proto, out_dir)
        with grpc.insecure_channel(args.server) as channel:
            stub = pb2_grpc.RecommenderStub(channel)
            items = [int(i) for i in args.items.split(",")]
            events = [pb2.Event(user_id=args.user, item_id=item, timestamp_ms=args.timestamp_ms + 60_000 * n,
                                event_id=f"py-{args.user}-{n}") for n, item in enumerate(items)]
            observed = stub.ObserveEvents(pb2.ObserveEventsRequest(events=events), timeout=10)
            ranked = stub.Recommend(pb2.RecommendRequest(user_id=args.user, k=args.k, request_id="python",
                                                         timestamp_ms=args.timestamp_ms + 60_000 * len(items)), timeout=10)
            try:
                stub.Recommend(pb2.RecommendRequest(user_id=args.user, k=5000), timeout=10)
                bad_k = "OK"
            except grpc.RpcError as e:
                bad_k = e.code().name
            print(json.dumps({
                "applied": observed.applied,
                "duplicates": observed.duplicates,
                "model_version": ranked.model_version,
                "unknown_user": ranked.unknown_user,
                "request_id": ranked.request_id,
                "items": [{"item_id": i.item_id, "score": i.score} for i in ranked.items],
                "k_5000": bad_k,
            }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate a decision log (docs/decision-log.md) of realistic cancellation requests.

Each request starts from one of Examples/requests/*.json (chosen at random) and is
varied: new request, order, buyer and seller ids; a new order total; the whole request
moved in time (every timestamp by the same amount, so "placed 30 minutes ago" stays
true); for buyers a new cancellation history (0 to 10 earlier cancellations, mostly
their own, spread over the 40 days before the request, so the repeat-canceller tiers
at 3, 5 and 8 are all reached); for sellers new 30-day stock-out figures; sometimes
another payment method. The decisions come from `rescind eval --jsonl` against the
policy folder, so each entry is what the service would have logged.

The output is deterministic for a given --seed, --count and policy folder (no clock,
no environment): Examples/ci/sample-requests.jsonl was made with

    swift build -c release
    Scripts/generate-request-log.py --count 3000 > Examples/ci/sample-requests.jsonl

and Scripts/replay-throughput.sh uses it for its input. --plain writes the requests
alone, one per line, without running rescind.
"""

import argparse
import datetime
import glob
import json
import os
import random
import subprocess
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_time(moment):
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def history_size(rng):
    """Earlier cancellations: most buyers have none, a few cancel often."""
    roll = rng.random()
    if roll < 0.45:
        return 0
    if roll < 0.70:
        return rng.randint(1, 2)
    if roll < 0.85:
        return rng.randint(3, 4)
    if roll < 0.95:
        return rng.randint(5, 7)
    return rng.randint(8, 10)


def vary(template, number, rng):
    request = json.loads(json.dumps(template))  # a deep copy, key order kept
    shift = datetime.timedelta(days=rng.randint(-280, 20), seconds=rng.randint(-4 * 3600, 4 * 3600))
    at = parse_time(request["at"]) + shift
    request["id"] = f"req-{number:07d}"
    request["at"] = format_time(at)
    actor, order = request["actor"], request["order"]
    buyer = f"u-{rng.randint(1, 900)}"
    if actor["role"] == "buyer":
        actor["id"] = buyer
    order["id"] = f"o-{number:07d}"
    order["placed_at"] = format_time(parse_time(order["placed_at"]) + shift)
    order["total"] = f"{rng.randint(100, 150000) / 100:.2f}"
    order["seller_id"] = f"s-{rng.randint(1, 60)}"
    if actor["role"] == "buyer" and rng.random() < 0.3:
        order["payment_method"] = rng.choice(["card", "wallet", "bank_transfer"])
    if actor["role"] == "buyer":
        items = []
        for index in range(history_size(rng)):
            ago = datetime.timedelta(seconds=rng.randint(3600, 40 * 86400))
            items.append({
                "order_id": f"o-{number:07d}-{index}",
                "at": format_time(at - ago),
                "initiator": "buyer" if rng.random() < 0.85 else rng.choice(["seller", "support", "system"]),
                "reason": rng.choice(["changed_mind", "changed_mind", "input_error", "other"]),
            })
        items.sort(key=lambda item: parse_time(item["at"]))
        request["buyer_history"] = {"cancellations": items}
    if actor["role"] == "seller" and (request.get("seller_stats") or rng.random() < 0.7):
        orders = rng.randint(40, 300)
        request["seller_stats"] = {"orders_30d": orders, "stockout_cancellations_30d": rng.randint(0, orders // 10)}
    return request


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def find_rescind():
    for build in ("release", "debug"):
        path = os.path.join(ROOT, ".build", build, "rescind")
        if os.access(path, os.X_OK):
            return path
    sys.exit("generate-request-log.py: no rescind binary in .build/release or .build/debug; "
             "run `swift build -c release` or give --rescind PATH")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="how many entries (default 3000)")
    parser.add_argument("--seed", type=int, default=20261127, help="the random seed (default 20261127)")
    parser.add_argument("--policies", default=os.path.join(ROOT, "Policies"), help="the policy folder deciding")
    parser.add_argument("--rescind", help="the rescind binary (default: .build/release/rescind, else debug)")
    parser.add_argument("--plain", action="store_true", help="write the requests only, one per line")
    arguments = parser.parse_args()

    rng = random.Random(arguments.seed)
    templates = [json.load(open(path, encoding="utf-8"))
                 for path in sorted(glob.glob(os.path.join(ROOT, "Examples", "requests", "*.json")))]
    requests = [compact(vary(rng.choice(templates), number, rng)) for number in range(1, arguments.count + 1)]
    out = sys.stdout
    if arguments.plain:
        out.writelines(line + "\n" for line in requests)
        return

    rescind = arguments.rescind or find_rescind()
    result = subprocess.run(
        [rescind, "eval", "--policies", arguments.policies, "--jsonl", "-"],
        input="".join(line + "\n" for line in requests).encode(), stdout=subprocess.PIPE, check=True)
    decisions = result.stdout.decode().splitlines()
    if len(decisions) != len(requests):
        sys.exit(f"generate-request-log.py: {len(requests)} requests but {len(decisions)} decisions")
    for request, decision in zip(requests, decisions):
        parsed = json.loads(decision)
        if "error" in parsed:
            sys.exit(f"generate-request-log.py: a generated request was rejected: {decision}")
        logged = parse_time(json.loads(request)["at"]).astimezone(datetime.timezone.utc)
        latency = rng.randint(20, 400)
        logged += datetime.timedelta(microseconds=latency + rng.randint(0, 2000))
        entry_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        # Written by hand so the request and decision keep their bytes and key order.
        out.write(
            f'{{"decision_id":"{entry_id}","logged_at":"{logged.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}",'
            f'"policy":{compact(parsed["policy"])},"latency_us":{latency},'
            f'"request":{request},"decision":{decision}}}\n')


if __name__ == "__main__":
    main()

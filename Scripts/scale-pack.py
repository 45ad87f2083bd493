#!/usr/bin/env python3
"""Generates a large policy set for the scale benchmark (issue 16, Scripts/scale-bench.sh).

The shipped pack (Policies/, its policy files only) plus N generated rules spread over 10
files `generated-01.yaml` … `generated-10.yaml` (`--files K` for K files: the same rules,
drawn in the same order, only cut differently), listed in policy-set.yaml's `files`. Each
rule tests `actor.role`, `order.status in [two values]`, `reason`, `order.payment_method`
and `order.total > decimal("…")`, values drawn at random from a seeded generator, with an
effect and reasons in both locales, as a marketplace's rules by category and region look.
Also writes `requests.jsonl`: R requests drawn the same way (for `rescind eval --jsonl`).

    Scripts/scale-pack.py N OUT_DIR [--seed 1] [--requests 20000] [--files 10]
"""
import argparse
import json
import os
import random
import re
import shutil

ROLES = ["buyer", "seller", "support", "system"]
STATUSES = ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"]
REASONS = ["changed_mind", "input_error", "payment_failed", "stock_out", "price_change", "fraud_suspected", "other"]
METHODS = ["card", "wallet", "bank_transfer"]
EFFECTS = ["allow", "deny", "review"]


def rule(index, rng):
    role = rng.choice(ROLES)
    statuses = rng.sample(STATUSES, 2)
    reason = rng.choice(REASONS)
    method = rng.choice(METHODS)
    total = f"{rng.randint(0, 5000)}.{rng.randint(0, 99):02d}"
    effect = rng.choice(EFFECTS)
    return f"""  - id: generated-{index:05d}
    description: {{en: "Generated rule {index}.", zh-CN: "生成的规则 {index}。"}}
    when:
      all:
        - actor.role == "{role}"
        - order.status in ["{statuses[0]}", "{statuses[1]}"]
        - reason == "{reason}"
        - order.payment_method == "{method}"
        - order.total > decimal("{total}")
    effect: {effect}
    reason:
      en: "Generated rule {index} applies to order {{order.id}}."
      zh-CN: "订单 {{order.id}} 适用生成的规则 {index}。"
"""


def request(index, rng):
    return {
        "id": f"req-{index}",
        "at": "2026-11-27T10:00:00+08:00",
        "actor": {"id": f"u-{rng.randint(1, 999)}", "role": rng.choice(ROLES), "verified": rng.random() < 0.5},
        "reason": rng.choice(REASONS),
        "order": {
            "id": f"o-{index}", "status": rng.choice(STATUSES), "placed_at": "2026-11-27T09:00:00+08:00",
            "total": f"{rng.randint(0, 6000)}.{rng.randint(0, 99):02d}", "currency": "CNY",
            "payment_method": rng.choice(METHODS), "seller_id": f"s-{rng.randint(1, 99)}",
        },
        "buyer_history": {"cancellations": []},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rules", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=20000)
    # More files keep each under a per-file size limit (about 490 bytes a rule).
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--policies", default=os.path.join(os.path.dirname(__file__), "..", "Policies"))
    args = parser.parse_args()
    if not 1 <= args.files <= 99:
        parser.error("--files must be in 1…99")
    files = args.files
    rng = random.Random(args.seed)

    os.makedirs(args.out, exist_ok=True)
    for name in sorted(os.listdir(args.policies)):
        if name.endswith(".yaml") and not name.endswith(".tests.yaml"):
            shutil.copy(os.path.join(args.policies, name), os.path.join(args.out, name))
    names = [f"generated-{n:02d}.yaml" for n in range(1, files + 1)]
    per_file = [args.rules // files + (1 if n < args.rules % files else 0) for n in range(files)]
    index = 0
    for name, count in zip(names, per_file):
        with open(os.path.join(args.out, name), "w") as f:
            f.write("kind: rules\nrules:\n" if count else "kind: rules\nrules: []\n")
            for _ in range(count):
                index += 1
                f.write(rule(index, rng))
    set_path = os.path.join(args.out, "policy-set.yaml")
    with open(set_path) as f:
        text = f.read()
    listed = "".join(f"  - {name}\n" for name in names)
    text, found = re.subn(r"(\nfiles:\n)", r"\1" + listed.replace("\\", "\\\\"), text)
    if found != 1:
        raise SystemExit("policy-set.yaml has no `files:` list")
    with open(set_path, "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "requests.jsonl"), "w") as f:
        for n in range(args.requests):
            f.write(json.dumps(request(n, rng), separators=(",", ":")) + "\n")
    print(f"{args.out}: the pack plus {args.rules} rules in {files} files; {args.requests} requests")


if __name__ == "__main__":
    main()

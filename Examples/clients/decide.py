#!/usr/bin/env python3
"""Asks a running `rescind serve` for decisions, with the standard library only.

    python3 Examples/clients/decide.py Examples/requests/*.json
    RESCIND_URL=http://127.0.0.1:8080 python3 Examples/clients/decide.py --batch Examples/requests/*.json
"""
import json
import os
import sys
import urllib.error
import urllib.request

BASE = os.environ.get("RESCIND_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("RESCIND_DECISION_TOKEN")


def post(path, body, locale=None):
    headers = {"Content-Type": "application/json"}
    if TOKEN:
        headers["Authorization"] = f"Bearer {TOKEN}"
    if locale:
        headers["Accept-Language"] = locale
    request = urllib.request.Request(BASE + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        # Errors are JSON too: {"error": {"code", "message", "path"?}}.
        return error.code, json.load(error)


def describe(name, result):
    if "error" in result:
        error = result["error"]
        where = f" at {error['path']}" if "path" in error else ""
        return f"{name}: error {error['code']}{where}: {error['message']}"
    reasons = "; ".join(reason["text"] for reason in result["reasons"])
    return f"{name}: {result['effect']} ({', '.join(result['deciding_rules']) or 'default'}): {reasons}"


def main(arguments):
    batch = "--batch" in arguments
    files = [argument for argument in arguments if argument != "--batch"]
    if batch:
        body = b"[" + b",".join(open(path, "rb").read() for path in files) + b"]"
        status, answer = post("/v1/decisions:batch", body, locale="en")
        if "results" not in answer:
            sys.exit(describe("batch", answer))
        for path, result in zip(files, answer["results"]):
            print(describe(os.path.basename(path), result))
        return
    for path in files:
        status, answer = post("/v1/decisions", open(path, "rb").read(), locale="en")
        print(describe(os.path.basename(path), answer))


if __name__ == "__main__":
    main(sys.argv[1:])

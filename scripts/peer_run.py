#!/usr/bin/env python3
"""The peer for scripts/bench-run.sh: what a person would write instead of `campaign run`.

A thread pool of --max-parallel workers; each takes the next number, POSTs /calls, then polls
GET /interactions/{id}/status every --poll-interval seconds (with the same +-20 % jitter as
`campaign run`) until the call has ended; with --wait-for-call-end the POST itself is held open until
the call ends, as `campaign run --wait-for-call-end` does. One attempt per number, no database: it only has to place
and follow the calls, so it is the floor of what the tool's extra safety costs.
"""
import argparse
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--numbers", required=True, help="a file with one E.164 number a line")
    parser.add_argument("--max-parallel", type=int, default=5)
    parser.add_argument("--poll-interval", type=float, default=0.1, help="seconds")
    parser.add_argument("--wait-for-call-end", action="store_true", help="hold each POST open until the call ends")
    args = parser.parse_args()

    numbers = [line.strip() for line in open(args.numbers) if line.strip()]
    headers = {"Authorization": f"Bearer {args.api_key}", "Content-Type": "application/json"}
    local = threading.local()
    ended = 0
    lock = threading.Lock()

    def session():
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers.update(headers)
        return local.session

    def call(number):
        nonlocal ended
        s = session()
        body = {"prompt": "Hi, this is the benchmark.", "to": number}
        if args.wait_for_call_end:
            body["waitForCallEnd"] = True
        answer = s.post(f"{args.api_url}/calls", json=body)
        answer.raise_for_status()
        interaction = answer.json()["interactionId"]
        while not args.wait_for_call_end:
            time.sleep(args.poll_interval * (1 + 0.2 * (2 * random.random() - 1)))
            status = s.get(f"{args.api_url}/interactions/{interaction}/status")
            if status.status_code == 200 and status.json().get("status") == "ended":
                break
        with lock:
            ended += 1

    with ThreadPoolExecutor(max_workers=args.max_parallel) as pool:
        for future in [pool.submit(call, n) for n in numbers]:
            future.result()
    print(f"peer: {ended} calls ended")


if __name__ == "__main__":
    main()

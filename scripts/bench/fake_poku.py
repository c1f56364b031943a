#!/usr/bin/env python3
"""A plain Python `http.server` stand-in for the Poku API, for scripts/bench-run.sh.

Not our simulator: `ThreadingHTTPServer` with `protocol_version = "HTTP/1.1"` (keep-alive), which writes
each answer's head and body in two `send()` calls, as many frameworks do. Enough of the API for the
benchmark: POST /calls answers `{"interactionId": ...}` (or, with `waitForCallEnd`, holds the request until
the call ends); GET /interactions/{id}/status answers `pending`, then `ended` once the call's time is up.
Call lengths are uniform in 0.5x-1.5x of --call-duration, drawn from --seed.

GET /_sim/ledger answers in the simulator's ledger shape, reduced to what the benchmarks read: one entry a
request, `method`, `time` (arrival, ISO-8601 with milliseconds, UTC), `placed`, and for POSTs that placed a
call `interactionId` and `callSeconds` (its length).

    python3 scripts/bench/fake_poku.py --port 0 --call-duration 0.5s --api-key KEY
    # prints "fake poku listening on http://127.0.0.1:PORT"
"""
import argparse
import datetime
import json
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def stamp():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class Calls:
    def __init__(self, mean, seed):
        self.mean = mean
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.ends = {}
        self.entries = []

    def place(self):
        with self.lock:
            seconds = self.mean * (0.5 + self.random.random())
            interaction = str(uuid.UUID(int=self.random.getrandbits(128), version=4))
            self.ends[interaction] = time.monotonic() + seconds
            self.entries.append(
                {"method": "POST", "time": stamp(), "placed": True, "interactionId": interaction, "callSeconds": seconds}
            )
        return interaction, seconds

    def end_of(self, interaction):
        with self.lock:
            self.entries.append({"method": "GET", "time": stamp(), "placed": False, "callSeconds": None})
            return self.ends.get(interaction)

    def ledger(self):
        with self.lock:
            entries = list(self.entries)
        placed = sum(1 for e in entries if e["placed"])
        return {"entries": entries, "callsPlaced": placed}


def handler(calls, api_key):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, obj):
            body = json.dumps(obj).encode()
            # send_response/send_header buffer the head; end_headers sends it (first send()), then the body
            # goes in a second send(): the plain http.server way.
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def authorized(self):
            if self.headers.get("Authorization") == f"Bearer {api_key}":
                return True
            self.answer(401, {"error": "missing or invalid API key", "code": "unauthorized"})
            return False

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/calls":
                return self.answer(404, {"error": "not found", "code": "not_found"})
            if not self.authorized():
                return
            try:
                request = json.loads(body)
            except ValueError:
                return self.answer(400, {"error": "the body is not JSON", "code": "invalid_request"})
            interaction, seconds = calls.place()
            if request.get("waitForCallEnd"):
                time.sleep(seconds)
                return self.answer(200, {"interactionId": interaction, "response": "The call ended."})
            self.answer(200, {"interactionId": interaction})

        def do_GET(self):
            if self.path == "/_sim/ledger":
                return self.answer(200, calls.ledger())
            parts = self.path.split("/")
            if len(parts) != 4 or parts[1] != "interactions" or parts[3] != "status":
                return self.answer(404, {"error": "not found", "code": "not_found"})
            if not self.authorized():
                return
            end = calls.end_of(parts[2])
            if end is None:
                return self.answer(404, {"error": "no such interaction", "code": "not_found"})
            ended = time.monotonic() >= end
            status = {"interactionId": parts[2], "createdAt": "2026-01-01T00:00:00.000Z"}
            status["status"] = "ended" if ended else "pending"
            if ended:
                status["completionEvent"] = {"interactionId": parts[2], "summary": "The call ended."}
            self.answer(200, status)

    return Handler


def seconds(text):
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    return float(text[:-1] if text.endswith("s") else text)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: 500 slots connect at once at the start of a run.
    request_queue_size = 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--call-duration", type=seconds, default=0.5, help="mean call length: 0.5, 0.5s, 500ms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), handler(Calls(args.call_duration, args.seed), args.api_key))
    print(f"fake poku listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

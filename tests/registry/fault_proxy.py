#!/usr/bin/python3
"""A fault-injecting HTTP proxy in front of a real registry, on loopback.

  fault_proxy.py PORT UPSTREAM_HOST:PORT LOG [--referrers]

Forwards every request to UPSTREAM (plain HTTP, bodies streamed both ways, the Host header
kept so that the registry's Location headers point back here) and applies the current plan.
The plan is replaced with `PUT /__plan` (a JSON list of rules); each rule applies to the
first `times` requests whose method is `method` and whose path contains `path`:
  {"action": "status", "status": 503, "retry_after": "1"}   answer that instead of forwarding
  {"action": "reset", "after": 65536}    forward, then cut the connection (RST) after N body bytes
  {"action": "corrupt", "at": 1000}      forward with one response byte flipped
  {"action": "outage", "seconds": 0.5}   from this request on, refuse every connection that long
  {"action": "reset_request"}            read the request, then cut the connection (no answer)
Every request is logged (JSON lines) with the rule that hit it.

`PUT /__ratelimit` ({"limit": L, "remaining": R, "window": W}) makes it act like Docker Hub:
manifest answers carry `RateLimit-Limit: L;w=W` and `RateLimit-Remaining: R;w=W`, each manifest
GET spends one, and a GET with nothing left is answered 429 TOOMANYREQUESTS (logged as
rule "ratelimit-refused").

With --referrers it also serves the OCI 1.1 referrers API that Debian's docker-registry 2.8
lacks: a manifest PUT whose body has a `subject` is recorded (and answered with OCI-Subject,
as the distribution spec says), and GET /v2/<name>/referrers/<digest>[?artifactType=T] answers
the index of what was recorded for that digest.
"""
import hashlib
import http.client
import json
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
REFERRERS = "--referrers" in sys.argv[4:]
RECORDED = {}  # (name, subject digest) -> [descriptor]
REFERRERS_PATH = re.compile(r"^/v2/(.+)/referrers/(sha256:[a-f0-9]{64})(?:\?(.*))?$")
MANIFEST_PATH = re.compile(r"^/v2/(.+)/manifests/([^/?]+)$")
UP_HOST, UP_PORT = UPSTREAM.rsplit(":", 1)
LOCK = threading.Lock()
STATE = {"plan": [], "outage_until": 0.0, "ratelimit": None}
CHUNK = 64 * 1024
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


def log(**fields):
    fields["time"] = time.time()
    with LOCK, open(LOG, "a") as out:
        out.write(json.dumps(fields, sort_keys=True) + "\n")


def take_rule(method, path):
    with LOCK:
        for rule in STATE["plan"]:
            if rule.get("times", 1) > 0 and rule.get("method", method) == method and rule.get("path", "") in path:
                rule["times"] = rule.get("times", 1) - 1
                return dict(rule)
    return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def cut(self):
        """Close with RST, as a crashed peer or a middlebox would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            data = self.rfile.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data

    def handle_any(self):
        path = self.path
        if path == "/__plan":
            plan = json.loads(b"".join(self.read_body()) or b"[]")
            with LOCK:
                STATE["plan"], STATE["outage_until"] = plan, 0.0
            log(plan=plan)
            return self.answer(200, b"{}")
        if path == "/__ratelimit":
            with LOCK:
                STATE["ratelimit"] = json.loads(b"".join(self.read_body()) or b"null")
            return self.answer(200, b"{}")
        limit_headers = []
        if STATE["ratelimit"] and "/manifests/" in path and self.command in ("GET", "HEAD"):
            with LOCK:
                rl = STATE["ratelimit"]
                if rl["remaining"] <= 0 and time.time() >= rl.setdefault("reset_at", time.time() + rl["window"]):
                    rl["remaining"] = rl["limit"]  # the window that was used up has passed
                    rl.pop("reset_at")
                refused = self.command == "GET" and rl["remaining"] <= 0
                if self.command == "GET" and not refused:
                    rl["remaining"] -= 1
                    if rl["remaining"] == 0:
                        rl["reset_at"] = time.time() + rl["window"]
                limit_headers = [("RateLimit-Limit", "%d;w=%d" % (rl["limit"], rl["window"])),
                                 ("RateLimit-Remaining", "%d;w=%d" % (max(rl["remaining"], 0), rl["window"]))]
            if refused:
                log(method=self.command, path=path.split("?")[0], rule="ratelimit-refused")
                return self.answer(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}',
                                   [("Content-Type", "application/json")] + limit_headers)
        if time.time() < STATE["outage_until"]:
            log(method=self.command, path=path, rule="outage")
            for _ in self.read_body():
                pass
            return self.cut()
        rule = take_rule(self.command, path)
        log(method=self.command, path=path.split("?")[0], rule=rule and rule["action"], range=self.headers.get("Range"))
        if rule and rule["action"] == "outage":
            with LOCK:
                STATE["outage_until"] = time.time() + rule.get("seconds", 0.5)
            for _ in self.read_body():
                pass
            return self.cut()
        if rule and rule["action"] == "status":
            for _ in self.read_body():
                pass
            headers = [("Content-Type", "application/json")]
            if "retry_after" in rule:
                headers.append(("Retry-After", rule["retry_after"]))
            return self.answer(rule["status"], b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}', headers)
        if rule and rule["action"] == "reset_request":
            for _ in self.read_body():
                pass
            return self.cut()
        if REFERRERS and self.command == "GET" and REFERRERS_PATH.match(path):
            return self.list_referrers(*REFERRERS_PATH.match(path).groups())
        if REFERRERS and self.command == "PUT" and MANIFEST_PATH.match(path):
            return self.put_manifest(MANIFEST_PATH.match(path).group(1), path)
        upstream = http.client.HTTPConnection(UP_HOST, int(UP_PORT), timeout=120)
        upstream.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in HOP:
                upstream.putheader(name, value)
        upstream.endheaders()
        for data in self.read_body():
            upstream.send(data)
        resp = upstream.getresponse()
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in HOP:
                self.send_header(name, value)
        for name, value in limit_headers:
            self.send_header(name, value)
        if resp.getheader("Content-Length") is None and self.command != "HEAD" and resp.status not in (204, 304):
            self.send_header("Connection", "close")  # a chunked upstream body: its end is our close
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            upstream.close()
            return None
        sent = 0
        while True:
            data = resp.read(CHUNK)
            if not data:
                break
            if rule and rule["action"] == "reset" and sent + len(data) > rule.get("after", 0):
                self.wfile.write(data[: max(0, rule.get("after", 0) - sent)])
                self.wfile.flush()
                upstream.close()
                return self.cut()
            if rule and rule["action"] == "corrupt" and sent <= rule.get("at", 0) < sent + len(data):
                i = rule.get("at", 0) - sent
                data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
            self.wfile.write(data)
            sent += len(data)
        upstream.close()
        return None

    def list_referrers(self, name, digest, query):
        wanted = None
        for part in (query or "").split("&"):
            if part.startswith("artifactType="):
                wanted = part.split("=", 1)[1].replace("%2F", "/").replace("%2B", "+")
        with LOCK:
            found = [d for d in RECORDED.get((name, digest), []) if wanted is None or d.get("artifactType") == wanted]
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                           "manifests": found}).encode()
        headers = [("Content-Type", "application/vnd.oci.image.index.v1+json")]
        if wanted is not None:
            headers.append(("OCI-Filters-Applied", "artifactType"))
        return self.answer(200, body, headers)

    def put_manifest(self, name, path):
        body = b"".join(self.read_body())
        upstream = http.client.HTTPConnection(UP_HOST, int(UP_PORT), timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "content-length"}
        upstream.request("PUT", path, body=body, headers=headers)
        resp = upstream.getresponse()
        answer = resp.read()
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP and k.lower() != "content-length"]
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if resp.status == 201 and isinstance(doc, dict) and isinstance(doc.get("subject"), dict):
            subject = doc["subject"].get("digest")
            descriptor = {"mediaType": doc.get("mediaType") or self.headers.get("Content-Type"),
                          "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}
            kind = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
            if kind:
                descriptor["artifactType"] = kind
            if isinstance(doc.get("annotations"), dict):
                descriptor["annotations"] = doc["annotations"]
            with LOCK:
                listed = RECORDED.setdefault((name, subject), [])
                if all(d["digest"] != descriptor["digest"] for d in listed):
                    listed.append(descriptor)
            out.append(("OCI-Subject", subject))
        upstream.close()
        return self.answer(resp.status, answer, out)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", PORT), Proxy)
server.daemon_threads = True
server.serve_forever()

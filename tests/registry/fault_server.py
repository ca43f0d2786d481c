#!/usr/bin/python3
"""Faults a real registry cannot be told to produce, on loopback, for the client's tests.

  fault_server.py PORT REDIRECT_PORT LOG

Serves a one-image registry API (no auth) on PORT and logs every request (JSON lines):
  /v2/                                  401 Basic challenge without Authorization, else 200
  /v2/throttled/manifests/1             429 Retry-After: 1 (seconds) on the first request, then the manifest
  /v2/throttled-date/manifests/1        429 Retry-After: <HTTP date 2 s ahead> once, then the manifest
  /v2/flaky/manifests/1                 503 twice, then the manifest
  /v2/always-busy/manifests/1           503 always
  /v2/<any>/manifests/<sha256 of it>    the manifest
  /v2/<any>/blobs/<config digest>       307 to http://127.0.0.1:REDIRECT_PORT/<digest> (another origin)
On REDIRECT_PORT it serves the config blob and logs whether an Authorization header arrived.
"""
import email.utils
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, REDIRECT_PORT, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-05-06T07:08:09Z",
                     "rootfs": {"type": "layers", "diff_ids": []}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": CONFIG_DIGEST, "size": len(CONFIG)},
                       "layers": []}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
COUNTS = {}
LOCK = threading.Lock()


def log(**fields):
    fields["time"] = time.time()
    with LOCK, open(LOG, "a") as out:
        out.write(json.dumps(fields, sort_keys=True) + "\n")


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def manifest(self):
        self.reply(200, MANIFEST, [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                                   ("Docker-Content-Digest", MANIFEST_DIGEST)])

    def handle_any(self):
        path = self.path.split("?")[0]
        with LOCK:
            COUNTS[path] = COUNTS.get(path, 0) + 1
            count = COUNTS[path]
        log(port=PORT, method=self.command, path=path, count=count,
            authorization=self.headers.get("Authorization") is not None)
        busy = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
        if path == "/v2/":  # Basic auth, any password: the client then sends it on every call
            if self.headers.get("Authorization") is None:
                return self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="faults"')])
            return self.reply(200, b"{}")
        if path == "/v2/throttled/manifests/1" and count == 1:
            return self.reply(429, busy, [("Retry-After", "1")])
        if path == "/v2/throttled-date/manifests/1" and count == 1:
            return self.reply(429, busy, [("Retry-After", email.utils.formatdate(time.time() + 2, usegmt=True))])
        if path == "/v2/flaky/manifests/1" and count <= 2:
            return self.reply(503, b"unavailable")
        if path == "/v2/always-busy/manifests/1":
            return self.reply(503, b"unavailable")
        if "/manifests/" in path:
            return self.manifest()
        if path.endswith("/blobs/" + CONFIG_DIGEST):
            return self.reply(307, b"", [("Location", "http://127.0.0.1:%d/storage/%s?X-Signature=secret"
                                          % (REDIRECT_PORT, CONFIG_DIGEST))])
        return self.reply(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such thing"}]}')

    do_GET = do_HEAD = handle_any


class Storage(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        log(port=REDIRECT_PORT, method="GET", path=self.path.split("?")[0],
            authorization=self.headers.get("Authorization") is not None)
        self.send_response(200)
        self.send_header("Content-Length", str(len(CONFIG)))
        self.end_headers()
        self.wfile.write(CONFIG)


storage = ThreadingHTTPServer(("127.0.0.1", REDIRECT_PORT), Storage)
threading.Thread(target=storage.serve_forever, daemon=True).start()
ThreadingHTTPServer(("127.0.0.1", PORT), Api).serve_forever()

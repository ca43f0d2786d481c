#!/usr/bin/python3
"""Registries that misbehave on purpose, on loopback, for the client's security tests.

  hostile_server.py BASE_PORT CERT KEY LOG

Every request is logged as a JSON line in LOG (port, method, path, whether Authorization
came, and the tokens this server issued). Ports from BASE_PORT:
  +0 cleartext   TLS. /v2/ asks for Bearer tokens from http://127.0.0.1:BASE+1/token: a
                 client that follows sends its credentials in cleartext.
  +1 sink        plain HTTP. Logs whatever arrives (the cleartext realm, downgrade targets)
                 and answers a token, so that a client that goes there would succeed.
  +2 echo-basic  TLS, Basic auth (any password). /v2/<repo>/manifests/<ref> answers with the
                 Authorization header it received echoed in its error body, together with
                 terminal escapes: repo s401|s403|s400|s500 give that status with a JSON error
                 body, repo raw gives 403 with a one-line text body.
  +3 echo-token  TLS, Bearer tokens from https://127.0.0.1:BASE+3/token (any Basic password;
                 the token and refresh token it issues are logged); the same echo repos.
  +4 stall       plain HTTP. /v2/ answers; manifests send headers and half the body, then
                 nothing: the client must give up after its stall timeout.
  +5 downgrade   TLS, anonymous. /v2/x/manifests/1 is an image whose config blob redirects
                 to http://127.0.0.1:BASE+1/ (HTTPS -> plain HTTP).
"""
import hashlib
import json
import secrets
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE, CERT, KEY, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LOCK = threading.Lock()
ESCAPES = "\u001b[31m\u001b]0;owned\u0007\r\n"
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": CONFIG_DIGEST, "size": len(CONFIG)},
                       "layers": []}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()


def log(**fields):
    fields["time"] = time.time()
    with LOCK, open(LOG, "a") as out:
        out.write(json.dumps(fields, sort_keys=True) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    role = ""

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

    def echo(self, path):
        auth = self.headers.get("Authorization", "")
        repo = path.split("/")[2] if path.count("/") >= 3 else ""
        said = "you sent Authorization: %s %s" % (auth, ESCAPES)
        if repo == "raw":
            return self.reply(403, ("denied: " + auth + " \u001b[2J").encode())
        status = {"s401": 401, "s403": 403, "s400": 400, "s500": 500}.get(repo)
        if status is None:
            return self.reply(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}')
        body = json.dumps({"errors": [{"code": "DENIED", "message": said, "detail": auth},
                                      {"code": "X\u001b[31m" + auth, "message": auth}]}).encode()
        headers = [("Content-Type", "application/json")]
        if status == 401:  # a 401 that is not about scope: the client gives up after one retry
            headers.append(("WWW-Authenticate", 'Basic realm="echo"' if self.role == "echo-basic" else
                            'Bearer realm="https://127.0.0.1:%d/token",service="hostile",error="denied"' % (BASE + 3)))
        self.reply(status, body, headers)

    def handle_any(self):
        path = self.path.split("?")[0]
        log(role=self.role, method=self.command, path=path,
            authorization=self.headers.get("Authorization") is not None)
        role = self.role
        if role == "cleartext":
            return self.reply(401, b"{}", [("WWW-Authenticate",
                                            'Bearer realm="http://127.0.0.1:%d/token",service="hostile"' % (BASE + 1))])
        if role == "sink":
            return self.reply(200, json.dumps({"token": "sink-token", "expires_in": 300}).encode(),
                              [("Content-Type", "application/json")])
        if role == "echo-basic":
            if path == "/v2/":
                if not self.headers.get("Authorization"):
                    return self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="echo"')])
                return self.reply(200, b"{}")
            return self.echo(path)
        if role == "echo-token":
            if path == "/token":
                token, refresh = "tok-" + secrets.token_hex(12), "refresh-" + secrets.token_hex(12)
                log(role=role, issued=[token, refresh])
                return self.reply(200, json.dumps({"token": token, "refresh_token": refresh,
                                                   "expires_in": 300}).encode(),
                                  [("Content-Type", "application/json")])
            if path == "/v2/" and not self.headers.get("Authorization", "").startswith("Bearer "):
                return self.reply(401, b"{}", [("WWW-Authenticate",
                                                'Bearer realm="https://127.0.0.1:%d/token",service="hostile"' % (BASE + 3))])
            if path == "/v2/":
                return self.reply(200, b"{}")
            return self.echo(path)
        if role == "stall":
            if path == "/v2/":
                return self.reply(200, b"{}")
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(len(MANIFEST)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(MANIFEST[: len(MANIFEST) // 2])
                self.wfile.flush()
            time.sleep(120)
            return None
        if role == "downgrade":
            if path == "/v2/":
                return self.reply(200, b"{}")
            if "/manifests/" in path:
                return self.reply(200, MANIFEST, [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                                                  ("Docker-Content-Digest", MANIFEST_DIGEST)])
            if path.endswith("/blobs/" + CONFIG_DIGEST):
                return self.reply(307, b"", [("Location", "http://127.0.0.1:%d/storage/%s" % (BASE + 1, CONFIG_DIGEST))])
        return self.reply(404, b"{}")

    do_GET = do_HEAD = do_POST = do_PUT = handle_any


def serve(offset, role, tls):
    handler = type("H_" + role.replace("-", "_"), (Handler,), {"role": role})
    server = ThreadingHTTPServer(("127.0.0.1", BASE + offset), handler)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT, KEY)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


serve(0, "cleartext", True)
serve(1, "sink", False)
serve(2, "echo-basic", True)
serve(3, "echo-token", True)
serve(4, "stall", False)
serve(5, "downgrade", True)
socket.setdefaulttimeout(None)
log(role="ready")
while True:
    time.sleep(3600)

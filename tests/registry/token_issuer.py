#!/usr/bin/python3
"""Token issuer for the project's registry testbed (loopback only, test data only).

Implements the two ways a client asks distribution for a bearer token:
  GET  <path>?service=..&scope=..[&scope=..][&offline_token=true]   (Basic auth or anonymous)
  POST <path>  form: grant_type=password|refresh_token, client_id, service, scope, access_type
Tokens are RS256 JWTs signed by `openssl dgst`; the registry trusts the signing certificate
through auth.token.rootcertbundle. Every request is appended to a JSON-lines log so tests can
count token requests per scope set.

Usage: token_issuer.py CONFIG.json   (keys: host port path service issuer ttl tls_cert tls_key
                                      sign_key sign_cert log users{name:{password,role}} public)
"""
import base64
import json
import secrets
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONFIG = json.load(open(sys.argv[1]))
LOG_LOCK = threading.Lock()
REFRESH_TOKENS = {}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def certificate_der_b64(path):
    pem = open(path).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())


SIGNING_CHAIN = [certificate_der_b64(CONFIG["sign_cert"])]


def rs256(data):
    done = subprocess.run(["openssl", "dgst", "-sha256", "-sign", CONFIG["sign_key"]],
                          input=data, capture_output=True, check=True)
    return done.stdout


def split_scope(text):
    """type[(class)]:name:actions; the name may contain ':' (host:port), so split at the last one."""
    kind, sep, rest = text.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not kind or not name:
        return None
    return kind.split("(")[0], name, [a for a in actions.split(",") if a]


def may(user, kind, name, action):
    if kind == "registry":
        return user is not None and name == "catalog" and action == "*"
    if kind != "repository":
        return False
    if user is None:
        return action == "pull" and any(name.startswith(p) for p in CONFIG["public"])
    role = CONFIG["users"][user]["role"]
    if role == "admin":
        return action in ("pull", "push", "delete", "*")
    return action == "pull"


def password_ok(user, password):
    entry = CONFIG["users"].get(user)
    return entry is not None and password is not None and secrets.compare_digest(entry["password"], password)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_request_line(self, **fields):
        fields.update(time=time.time(), method=self.command)
        with LOG_LOCK, open(CONFIG["log"], "a") as out:
            out.write(json.dumps(fields, sort_keys=True) + "\n")

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != CONFIG["path"]:
            return self.send_json(404, {"details": "not found"})
        query = parse_qs(url.query)
        user = None
        header = self.headers.get("Authorization")
        if header is not None:
            scheme, _, value = header.partition(" ")
            name, password = "", None
            try:
                name, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except Exception:
                pass
            if scheme.lower() != "basic" or not password_ok(name, password):
                self.log_request_line(user=name, status=401)
                return self.send_json(401, {"details": "incorrect username or password"},
                                      [("WWW-Authenticate", 'Basic realm="testbed-token"')])
            user = name
        self.grant(user, query.get("service", [None])[0], query.get("scope", []),
                   query.get("offline_token", ["false"])[0] == "true", oauth=False)

    def do_POST(self):
        if urlsplit(self.path).path != CONFIG["path"]:
            return self.send_json(404, {"details": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        field = lambda key: form.get(key, [""])[0]
        if not field("client_id"):
            return self.send_json(400, {"error": "invalid_request", "error_description": "client_id required"})
        grant = field("grant_type")
        if grant == "password":
            user = field("username")
            if not password_ok(user, field("password")):
                self.log_request_line(user=user, status=401, oauth=grant)
                return self.send_json(401, {"error": "invalid_grant"})
        elif grant == "refresh_token":
            user = REFRESH_TOKENS.get(field("refresh_token"))
            if user is None:
                self.log_request_line(user=None, status=401, oauth=grant)
                return self.send_json(401, {"error": "invalid_grant"})
        else:
            return self.send_json(400, {"error": "unsupported_grant_type"})
        self.grant(user, field("service") or None, form.get("scope", []),
                   field("access_type") == "offline", oauth=grant)

    def grant(self, user, service, scopes, offline, oauth):
        if service is not None and service != CONFIG["service"]:
            self.log_request_line(user=user, service=service, status=400)
            return self.send_json(400, {"details": "unknown service"})
        access = []
        for field in scopes:
            for text in field.split():
                parsed = split_scope(text)
                if parsed:
                    kind, name, actions = parsed
                    access.append({"type": kind, "name": name,
                                   "actions": [a for a in actions if may(user, kind, name, a)]})
        now = int(time.time())
        ttl = int(CONFIG["ttl"])
        claims = {"iss": CONFIG["issuer"], "sub": user or "", "aud": CONFIG["service"],
                  "iat": now, "nbf": now - 5, "exp": now + ttl, "jti": secrets.token_hex(8),
                  "access": access}
        header = {"alg": "RS256", "typ": "JWT", "x5c": SIGNING_CHAIN}
        unsigned = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        token = unsigned + "." + b64url(rs256(unsigned.encode()))
        reply = {"token": token, "access_token": token, "expires_in": ttl,
                 "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if oauth:
            reply["scope"] = " ".join("%s:%s:%s" % (a["type"], a["name"], ",".join(a["actions"]))
                                      for a in access if a["actions"])
        if offline and user:
            refresh = secrets.token_urlsafe(18)
            REFRESH_TOKENS[refresh] = user
            reply["refresh_token"] = refresh
        self.log_request_line(user=user, service=service, scopes=sorted(s for f in scopes for s in f.split()),
                              status=200, oauth=oauth or None)
        self.send_json(200, reply)


server = ThreadingHTTPServer((CONFIG["host"], CONFIG["port"]), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CONFIG["tls_cert"], CONFIG["tls_key"])
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()

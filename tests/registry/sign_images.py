#!/usr/bin/python3
"""Signs an image in a registry the way cosign and Notation store their artifacts, with the
distribution API only (an independent client for the referrer tests; no keys: the payloads are
well-formed stand-ins, their bytes are what matters).

  sign_images.py BASE_URL REPO DIGEST [--user U:P] [--cacert FILE] [--label TEXT]

For the subject DIGEST in REPO it pushes:
  - cosign: a signature under tag sha256-<hex>.sig, an attestation (.att), an SBOM (.sbom);
  - an OCI 1.1 referrer with `subject` (a Notation-style signature, artifactType
    application/vnd.cncf.notary.signature), by digest;
  - a referrer of the SBOM (an SBOM signature), by digest: a referrer of a referrer.
Referrers with `subject` go to a registry without the referrers API (its PUT answer carries no
OCI-Subject) the way the spec's fallback says: the index under tag sha256-<hex> is read,
extended and written back.

Prints one JSON object: {"cosign": {tag: digest}, "referrers": [{"digest", "subject",
"artifactType"}], "api": true|false}.
"""
import base64
import hashlib
import json
import ssl
import sys
import urllib.error
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join([OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json", OCI_MANIFEST,
                    "application/vnd.docker.distribution.manifest.v2+json"])

base, repo, subject_digest = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
args = sys.argv[4:]
user = args[args.index("--user") + 1] if "--user" in args else None
cacert = args[args.index("--cacert") + 1] if "--cacert" in args else None
label = args[args.index("--label") + 1] if "--label" in args else "test"
context = ssl.create_default_context(cafile=cacert) if cacert else None


def call(method, path, body=None, headers=None):
    url = path if path.startswith("http") else base + path
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if user:
        request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with urllib.request.urlopen(request, context=context) as resp:
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict((k.lower(), v) for k, v in err.headers.items()), err.read()


def blob(data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = call("POST", "/v2/%s/blobs/uploads/" % repo)
    assert status == 202, status
    location = headers["location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    status, _, body = call("PUT", location + sep + "digest=" + digest, data,
                           {"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def manifest(doc, reference=None):
    data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, body = call("PUT", "/v2/%s/manifests/%s" % (repo, reference or digest), data,
                                 {"Content-Type": doc["mediaType"]})
    assert status == 201, (status, body)
    return {"mediaType": doc["mediaType"], "digest": digest, "size": len(data)}, "oci-subject" in headers


def subject_descriptor(digest):
    status, headers, body = call("GET", "/v2/%s/manifests/%s" % (repo, digest), headers={"Accept": ACCEPT})
    assert status == 200, status
    media_type = headers.get("content-type", "").split(";")[0]
    return {"mediaType": media_type, "digest": digest, "size": len(body)}


def cosign(suffix, layer_type, payload):
    layer = blob(payload, layer_type)
    config = blob(json.dumps({"architecture": "", "os": "", "rootfs": {"type": "layers", "diff_ids": []}}).encode(),
                  "application/vnd.oci.image.config.v1+json")
    layer["annotations"] = {"dev.cosignproject.cosign/signature": base64.b64encode(payload[:16]).decode()}
    tag = subject_digest.replace(":", "-") + suffix
    desc, _ = manifest({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}, tag)
    return tag, desc["digest"]


def referrer(subject, artifact_type, layer_type, payload):
    empty = blob(b"{}", "application/vnd.oci.empty.v1+json")
    layer = blob(payload, layer_type)
    doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type, "config": empty,
           "layers": [layer], "subject": subject,
           "annotations": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z", "test.label": label}}
    desc, api = manifest(doc)
    desc["artifactType"] = artifact_type
    desc["annotations"] = doc["annotations"]
    if not api:  # the referrers tag schema: <alg>-<hex> holds an index of the referrers
        tag = subject["digest"].replace(":", "-")
        status, _, body = call("GET", "/v2/%s/manifests/%s" % (repo, tag), headers={"Accept": OCI_INDEX})
        index = json.loads(body) if status == 200 else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        if all(m["digest"] != desc["digest"] for m in index["manifests"]):
            index["manifests"].append(desc)
            manifest(index, tag)
    return desc, api


subject = subject_descriptor(subject_digest)
out = {"cosign": {}, "referrers": []}
for suffix, layer_type in ((".sig", "application/vnd.dev.cosign.simplesigning.v1+json"),
                           (".att", "application/vnd.dsse.envelope.v1+json"),
                           (".sbom", "text/spdx+json")):
    tag, digest = cosign(suffix, layer_type, json.dumps({"subject": subject_digest, "kind": suffix,
                                                          "label": label}).encode())
    out["cosign"][tag] = digest
notary, api = referrer(subject, "application/vnd.cncf.notary.signature", "application/jose+json",
                       json.dumps({"signed": subject_digest, "label": label}).encode())
out["api"] = api
out["referrers"].append({"digest": notary["digest"], "subject": subject_digest,
                         "artifactType": "application/vnd.cncf.notary.signature"})
sbom = referrer(subject, "application/spdx+json", "application/spdx+json",
                json.dumps({"spdxVersion": "SPDX-2.3", "name": label}).encode())[0]
out["referrers"].append({"digest": sbom["digest"], "subject": subject_digest, "artifactType": "application/spdx+json"})
sbom_sig = referrer(sbom, "application/vnd.cncf.notary.signature", "application/jose+json",
                    json.dumps({"signed": sbom["digest"], "label": label}).encode())[0]
out["referrers"].append({"digest": sbom_sig["digest"], "subject": sbom["digest"],
                         "artifactType": "application/vnd.cncf.notary.signature"})
print(json.dumps(out, sort_keys=True))

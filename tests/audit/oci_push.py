"""Pushing blobs and manifests to a plain-HTTP registry with the distribution API (urllib),
byte for byte: nothing is re-compressed. Used by the audit tests and bench/audit.sh.

  python3 oci_push.py REGISTRY REPO:TAG MEDIA_TYPE BLOB:TAR [BLOB:TAR...]
      pushes an image whose layers are the compressed BLOBs (of the uncompressed TARs, which
      give the config's diff_ids)
"""
import hashlib
import json
import sys
import urllib.request


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as resp:
        return resp.status, dict(resp.headers)


def push_blob(registry, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers = request("POST", "http://%s/v2/%s/blobs/uploads/" % (registry, repo), b"")
    location = headers["Location"]
    if location.startswith("/"):
        location = "http://" + registry + location
    sep = "&" if "?" in location else "?"
    request("PUT", location + sep + "digest=" + digest, data,
            {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
    return digest


def push_manifest(registry, repo, tag, obj, media_type):
    data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    request("PUT", "http://%s/v2/%s/manifests/%s" % (registry, repo, tag), data, {"Content-Type": media_type})
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


if __name__ == "__main__":
    registry, name, media_type = sys.argv[1], sys.argv[2], sys.argv[3]
    repo, tag = name.rsplit(":", 1)
    layers, diff_ids = [], []
    for pair in sys.argv[4:]:
        blob_path, tar_path = pair.split(":")
        with open(blob_path, "rb") as f:
            blob = f.read()
        layers.append({"mediaType": media_type, "digest": push_blob(registry, repo, blob), "size": len(blob)})
        diff_ids.append(sha256_file(tar_path))
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": push_blob(registry, repo, config), "size": len(config)},
                "layers": layers}
    print(push_manifest(registry, repo, tag, manifest, manifest["mediaType"])[0])

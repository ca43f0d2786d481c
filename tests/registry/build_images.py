#!/usr/bin/python3
"""Writes deterministic OCI image layouts for the registry testbed (no Docker needed).

  build_images.py fixtures LAYOUT NTAGS  refs: small, multi (index: linux/amd64 + linux/arm64/v8),
                                         web (2 layers, shares the base layer), many-01..many-NN
                                         (distinct manifests over the same blobs)
  build_images.py big LAYOUT MIB         ref: big (4 incompressible layers, MIB MiB in all)
  build_images.py apps LAYOUT N          refs: app-001..app-N, 3 layers each: a shared 1 MiB base and
                                         two small layers of their own

Also writes LAYOUT/refs.tsv: "ref<TAB>digest<TAB>mediaType" for every ref.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CREATED = "2024-01-02T03:04:05Z"

kind, layout, amount = sys.argv[1], sys.argv[2], int(sys.argv[3])
blob_dir = os.path.join(layout, "blobs", "sha256")
os.makedirs(blob_dir, exist_ok=True)
named = []


def put(data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blob_dir, digest), "wb") as out:
        out.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}


def put_json(obj, media_type):
    return put(json.dumps(obj, indent=None, separators=(",", ":"), sort_keys=True).encode(), media_type)


def tar_layer(files, level=6):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), 0, 0o755
            tar.addfile(info, io.BytesIO(files[name]))
    plain = raw.getvalue()
    return put(gzip.compress(plain, compresslevel=level, mtime=0), OCI_LAYER), \
        "sha256:" + hashlib.sha256(plain).hexdigest()


def image(layers, arch, title, variant=None, note=None):
    config = {"architecture": arch, "os": "linux", "created": CREATED,
              "config": {"Cmd": ["/bin/hello"], "Labels": {"org.opencontainers.image.title": title}},
              "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]},
              "history": [{"created": CREATED, "created_by": "build_images.py %s layer %d" % (title, n)}
                          for n in range(len(layers))]}
    if variant:
        config["variant"] = variant
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": put_json(config, OCI_CONFIG),
                "layers": [desc for desc, _ in layers]}
    if note:
        manifest["annotations"] = {"dev.image-secure.testbed": note}
    return put_json(manifest, OCI_MANIFEST)


def name(desc, ref):
    entry = dict(desc)
    entry["annotations"] = {"org.opencontainers.image.ref.name": ref}
    named.append(entry)


if kind == "fixtures":
    base = tar_layer({"bin/hello": b"#!/bin/sh\necho hello from the image-secure testbed\n"})
    name(image([base], "amd64", "small"), "small")
    children = []
    for arch, variant in (("amd64", None), ("arm64", "v8")):
        own = tar_layer({"etc/platform": ("linux/%s%s\n" % (arch, "/" + variant if variant else "")).encode()})
        desc = image([base, own], arch, "multi-" + arch, variant)
        desc["platform"] = {"architecture": arch, "os": "linux"}
        if variant:
            desc["platform"]["variant"] = variant
        children.append(desc)
    name(put_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}, OCI_INDEX), "multi")
    web = tar_layer({"srv/index.html": b"<h1>web</h1>\n" * 200})
    name(image([base, web], "amd64", "web"), "web")
    for n in range(1, amount + 1):
        name(image([base], "amd64", "small", note="many-%02d" % n), "many-%02d" % n)
elif kind == "big":
    weights = (12, 8, 4, 1)
    layers = [tar_layer({"data-%d.bin" % n: os.urandom(amount * w // sum(weights) << 20)}, level=1)
              for n, w in enumerate(weights)]
    name(image(layers, "amd64", "big"), "big")
elif kind == "apps":
    def noise(seed, size):  # deterministic, incompressible
        out, block = bytearray(), hashlib.sha256(seed.encode()).digest()
        while len(out) < size:
            block = hashlib.sha256(block).digest()
            out += block
        return bytes(out[:size])
    base = tar_layer({"usr/lib/base.so": noise("base", 1 << 20)})
    for n in range(1, amount + 1):
        runtime = tar_layer({"usr/lib/app/runtime-%03d.so" % n: noise("runtime-%d" % n, 24 << 10)})
        app = tar_layer({"app/server": noise("app-%d" % n, 8 << 10), "app/config.json": b'{"n": %d}\n' % n})
        name(image([base, runtime, app], "amd64", "app-%03d" % n), "app-%03d" % n)
else:
    sys.exit("unknown kind " + kind)

with open(os.path.join(layout, "oci-layout"), "w") as out:
    json.dump({"imageLayoutVersion": "1.0.0"}, out)
with open(os.path.join(layout, "index.json"), "w") as out:
    json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": named}, out)
with open(os.path.join(layout, "refs.tsv"), "w") as out:
    for entry in named:
        out.write("%s\t%s\t%s\n" % (entry["annotations"]["org.opencontainers.image.ref.name"],
                                    entry["digest"], entry["mediaType"]))

#!/usr/bin/python3
"""Builds the audit test images and pushes them to a plain-HTTP registry (the testbed's).

  build_audit_images.py REGISTRY OUTDIR        REGISTRY: 127.0.0.1:PORT (anonymous, plain HTTP)

Every tar format the audit must read is written by Python's tarfile (POSIX ustar with a
prefix, GNU long names, PAX per-entry and global headers), compressed as gzip with two
members, zstd with two frames and a skippable frame (the zstd CLI), or left plain. Blobs are
pushed with the registry API directly (urllib), so nothing re-compresses them. For each image,
OUTDIR/<name>/ gets layer-N.tar (the uncompressed tar), layer-N.type and config.json: the
independent derivation (derive_facts.py) extracts those with GNU tar.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oci_push  # noqa: E402

REGISTRY, OUT = sys.argv[1], sys.argv[2]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
CREATED = "2024-01-02T03:04:05Z"


def push_blob(repo, data):
    return oci_push.push_blob(REGISTRY, repo, data)


def push_manifest(repo, tag, obj, media_type):
    return oci_push.push_manifest(REGISTRY, repo, tag, obj, media_type)


request = oci_push.request


def member(name, kind="file", data=b"", mode=0o644, link="", uid=0):
    return {"name": name, "kind": kind, "data": data, "mode": mode, "link": link, "uid": uid}


def tar_bytes(members, fmt=tarfile.GNU_FORMAT, pax_global=None):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt, pax_headers=pax_global or {}) as tar:
        for m in members:
            info = tarfile.TarInfo(m["name"])
            info.mtime, info.mode, info.uid = 0, m["mode"], m["uid"]
            kinds = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                     "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}
            info.type = kinds[m["kind"]]
            if m["kind"] in ("symlink", "hardlink"):
                info.linkname = m["link"]
            if m["kind"] == "file":
                info.size = len(m["data"])
                tar.addfile(info, io.BytesIO(m["data"]))
            else:
                tar.addfile(info)
    return raw.getvalue()


def gzip_members(plain, cut):
    """Two gzip members, split at byte `cut` of the tar (GNU gzip and Go read both)."""
    return gzip.compress(plain[:cut], 6, mtime=0) + gzip.compress(plain[cut:], 6, mtime=0)


def zstd_frames(plain, cut):
    """A skippable frame, then two zstd frames (the zstd CLI)."""
    def frame(part):
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=part, stdout=subprocess.PIPE, check=True).stdout
    skippable = (0x184D2A50).to_bytes(4, "little") + (5).to_bytes(4, "little") + b"hello"
    return skippable + frame(plain[:cut]) + frame(plain[cut:])


class Image:
    def __init__(self, name, docker=False):
        self.name, self.docker, self.layers, self.history = name, docker, [], []
        self.dir = os.path.join(OUT, name)
        os.makedirs(self.dir, exist_ok=True)

    def layer(self, plain, blob, media_type, created_by, diff_id=None):
        n = len(self.layers)
        with open(os.path.join(self.dir, "layer-%d.tar" % n), "wb") as f:
            f.write(plain)
        with open(os.path.join(self.dir, "layer-%d.type" % n), "w") as f:
            f.write(media_type + "\n")
        digest = push_blob(self.name, blob)
        self.layers.append(({"mediaType": media_type, "digest": digest, "size": len(blob)},
                            diff_id or "sha256:" + hashlib.sha256(plain).hexdigest()))
        self.history.append(created_by)

    def push(self, tag="1", config_extra=None, arch="amd64", variant=None):
        config = {"architecture": arch, "os": "linux", "created": CREATED,
                  "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": [d for _, d in self.layers]},
                  "history": [{"created": CREATED, "created_by": "/bin/sh -c #(nop) CMD [\"x\"]", "empty_layer": True}]
                  + [{"created": CREATED, "created_by": h} for h in self.history]}
        if variant:
            config["variant"] = variant
        for key, value in (config_extra or {}).items():
            if key == "config":
                config["config"].update(value)
            else:
                config[key] = value
        data = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
        with open(os.path.join(self.dir, "config.json"), "wb") as f:
            f.write(data)
        config_desc = {"mediaType": DOCKER_CONFIG if self.docker else OCI_CONFIG,
                       "digest": push_blob(self.name, data), "size": len(data)}
        manifest = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST if self.docker else OCI_MANIFEST,
                    "config": config_desc, "layers": [d for d, _ in self.layers]}
        digest, size = push_manifest(self.name, tag, manifest, manifest["mediaType"])
        with open(os.path.join(OUT, "refs.tsv"), "a") as f:
            f.write("%s\t%s:%s\t%s\n" % (self.name, self.name, tag, digest))
        return {"mediaType": manifest["mediaType"], "digest": digest, "size": size}


if os.path.isdir(OUT):
    shutil.rmtree(OUT)
os.makedirs(OUT)
DPKG_STATUS = b"""Package: base-files
Status: install ok installed
Version: 12.4

Package: bash
Status: install ok installed
Version: 5.2

Package: oldpkg
Status: deinstall ok config-files
Version: 1.0

Package: apt
Status: install ok installed
Version: 2.6
"""
LONG_DIR = "usr/share/doc/" + "d" * 60 + "/" + "e" * 50
OS_RELEASE_DEBIAN = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n'

# ---- debianish: OCI, gzip; ustar (prefix) + GNU (long names), whiteouts, opaque dir, alternatives.
img = Image("debianish")
l0 = tar_bytes([
    member("usr", "dir", mode=0o755), member("usr/bin", "dir", mode=0o755), member("bin", "symlink", link="usr/bin"),
    member("usr/bin/bash", data=b"\x7fELF bash" * 100, mode=0o755),
    member("usr/bin/dash", data=b"\x7fELF dash" * 50, mode=0o755),
    member("usr/bin/sh", "symlink", link="dash"),
    member("usr/bin/apt", data=b"\x7fELF apt" * 40, mode=0o755),
    member("usr/bin/apt-get", data=b"\x7fELF apt-get" * 40, mode=0o755),
    member("usr/bin/dpkg", data=b"\x7fELF dpkg" * 40, mode=0o755),
    member("usr/bin/passwd", data=b"\x7fELF passwd", mode=0o4755),
    member("usr/bin/wall", data=b"\x7fELF wall", mode=0o2755),
    member("usr/bin/vim.tiny", data=b"\x7fELF vim", mode=0o755),
    member("usr/bin/vi", "symlink", link="/etc/alternatives/vi"),
    member("etc/alternatives/vi", "symlink", link="/usr/bin/vim.tiny"),
    member("usr/bin/nano", "symlink", link="/etc/alternatives/nano"),
    member("usr/lib/os-release", data=OS_RELEASE_DEBIAN),
    member("etc/os-release", "symlink", link="../usr/lib/os-release"),
    member("var/lib/dpkg/status", data=DPKG_STATUS),
    member("var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease", data=b"x" * 3000),
    member("var/cache/apt/archives/partial", "dir", mode=0o755),
    member("tmp", "dir", mode=0o1777),
    member(LONG_DIR + "/copyright", data=b"long path via the ustar prefix\n"),
    member("srv/old-data.bin", data=b"o" * 20000),
], fmt=tarfile.USTAR_FORMAT)
img.layer(l0, gzip_members(l0, len(l0) // 3), OCI_GZIP, "/bin/sh -c #(nop) ADD file:rootfs in /")
l1 = tar_bytes([
    member("./var/lib/apt/lists/lock", data=b""),
    member("var/lib/apt/lists/.wh..wh..opq", data=b""),
    member("usr/bin/.wh.apt", data=b""),
    member("srv/old-data.bin", data=b"n" * 100),
    member("opt/tools/bin/curl", data=b"\x7fELF curl", mode=0o755),
    member("opt/tools/share/" + "x" * 120 + "/long-gnu-name.txt", data=b"GNU long name\n"),
    member("usr/local/bin/gcc", data=b"\x7fELF gcc", mode=0o755),
], fmt=tarfile.GNU_FORMAT)
img.layer(l1, gzip.compress(l1, 6, mtime=0), OCI_GZIP, "RUN apt-get purge apt && rm -rf /var/lib/apt/lists/*")
img.push(config_extra={"config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/tools/bin"],
                                  "Volumes": {"/var/lib/data": {}}, "User": ""}})

# ---- shared-01..50: fifty images over debianish's base layer (each with a small layer of its own).
base_blob = gzip_members(l0, len(l0) // 3)
for n in range(1, 51):
    img = Image("shared")
    img.dir = os.path.join(OUT, "shared-%02d" % n)
    os.makedirs(img.dir, exist_ok=True)
    img.layer(l0, base_blob, OCI_GZIP, "base")
    own = tar_bytes([member("srv/id", data=b"%d\n" % n)])
    img.layer(own, gzip.compress(own, mtime=0), OCI_GZIP, "COPY id /srv/id")
    img.push(tag="%02d" % n)

# ---- alpineish: OCI, zstd (skippable + two frames); PAX with a global header; hard links.
img = Image("alpineish")
a0 = tar_bytes([
    member("bin", "dir", mode=0o755),
    member("bin/busybox", data=b"\x7fELF busybox" * 300, mode=0o755),
    member("bin/sh", "symlink", link="/bin/busybox"),
    member("bin/ash", "hardlink", link="bin/busybox"),
    member("sbin/apk", data=b"\x7fELF apk", mode=0o755),
    member("lib", "symlink", link="usr/lib"),
    member("usr/lib/apk/db/installed", data=b"C:Q1abc\nP:musl\nV:1.2.4\n\nC:Q1def\nP:busybox\nV:1.36\n\nP:apk-tools\nV:2.14\n"),
    member("etc/os-release", data=b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'),
    member("etc/alpine-release", data=b"3.19.1\n"),
    member("var/cache/apk/APKINDEX.tar.gz", data=b"index" * 10),
    member("home/" + "p" * 110 + "/pax-name", data=b"PAX path\n", uid=3000000),
], fmt=tarfile.PAX_FORMAT, pax_global={"comment": "a global PAX header"})
img.layer(a0, zstd_frames(a0, len(a0) // 2), OCI_ZSTD, "ADD alpine-minirootfs.tar.gz /")
a1 = tar_bytes([member("bin/.wh.busybox", data=b""), member("app/server", data=b"\x7fELF server", mode=0o755)],
               fmt=tarfile.PAX_FORMAT)
img.layer(a1, zstd_frames(a1, 700), OCI_ZSTD, "RUN rm /bin/busybox")
alpine = img.push(config_extra={"config": {"User": "1000:1000", "Entrypoint": ["/app/server"]}})

# ---- distroless: Docker v2 schema 2, docker media types; a plain (uncompressed) tar layer.
img = Image("distroless", docker=True)
d0 = tar_bytes([
    member("etc/os-release", data=b'PRETTY_NAME="Distroless"\nID=debian\nVERSION_ID="12"\n'),
    member("var/lib/dpkg/status.d/base-files", data=b"Package: base-files\nVersion: 12.4\n"),
    member("var/lib/dpkg/status.d/libc6", data=b"Package: libc6\nVersion: 2.36\n"),
    member("var/lib/dpkg/status.d/libc6.md5sums", data=b"abc  /lib/x\n"),
    member("etc/passwd", data=b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"),
], fmt=tarfile.GNU_FORMAT)
img.layer(d0, gzip.compress(d0, 9, mtime=0), DOCKER_GZIP, "bazel build //base:static")
d1 = tar_bytes([member("app/server", data=b"\x7fELF server" * 10, mode=0o755)], fmt=tarfile.USTAR_FORMAT)
img.layer(d1, d1, DOCKER_TAR, "COPY server /app/server")
distroless = img.push(config_extra={"config": {"User": "65532", "Entrypoint": ["/app/server"]}}, arch="arm64", variant="v8")

# ---- rpmish: OCI gzip, an rpm SQLite database written by Debian's rpm.
img = Image("rpmish")
work = tempfile.mkdtemp()
try:
    spec = os.path.join(work, "p.spec")
    names = []
    for pkg in ("bash", "coreutils-single", "dnf"):
        with open(spec, "w") as f:
            f.write("Name: %s\nVersion: 1.0\nRelease: 1\nSummary: t\nLicense: MIT\nBuildArch: noarch\n"
                    "%%description\nt\n%%files\n" % pkg)
        subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", "_topdir " + work + "/top", spec],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        names.append(pkg)
    db = os.path.join(work, "db")
    os.makedirs(db)
    rpms = [os.path.join(work, "top/RPMS/noarch", f) for f in sorted(os.listdir(work + "/top/RPMS/noarch"))]
    subprocess.run(["rpm", "--dbpath", db, "--initdb"], check=True)
    subprocess.run(["rpm", "--dbpath", db, "-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos"] + rpms,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import sqlite3
    con = sqlite3.connect(os.path.join(db, "rpmdb.sqlite"))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    with open(os.path.join(db, "rpmdb.sqlite"), "rb") as f:
        rpmdb = f.read()
finally:
    shutil.rmtree(work)
r0 = tar_bytes([
    member("usr/lib/sysimage/rpm/rpmdb.sqlite", data=rpmdb),
    member("var/lib/rpm", "symlink", link="../../usr/lib/sysimage/rpm"),
    member("usr/bin/dnf", data=b"\x7fELF dnf", mode=0o755),
    member("usr/bin/rpm", data=b"\x7fELF rpm", mode=0o755),
    member("usr/lib/os-release", data=b'ID="fedora"\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40"\n'),
    member("etc/os-release", "symlink", link="../usr/lib/os-release"),
    member("var/cache/dnf/metadata.solv", data=b"solv" * 100),
], fmt=tarfile.GNU_FORMAT)
img.layer(r0, gzip.compress(r0, 6, mtime=0), OCI_GZIP, "ADD fedora-rootfs /")
img.push(config_extra={"config": {"User": "root"}})

# ---- multi: an index of alpineish (amd64) and distroless (arm64/v8), plus an attestation.
index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    dict(alpine, platform={"os": "linux", "architecture": "amd64"}),
    dict(distroless, platform={"os": "linux", "architecture": "arm64", "variant": "v8"})]}
# The children must live in the index's repository: copy their manifests there by digest.
for child, source in ((alpine, "alpineish"), (distroless, "distroless")):
    with urllib.request.urlopen(urllib.request.Request(
            "http://%s/v2/%s/manifests/%s" % (REGISTRY, source, child["digest"]),
            headers={"Accept": child["mediaType"]})) as resp:
        body = resp.read()
    manifest = json.loads(body)
    for blob in [manifest["config"]] + manifest["layers"]:
        request("POST", "http://%s/v2/multi/blobs/uploads/?mount=%s&from=%s" % (REGISTRY, blob["digest"], source), b"")
    request("PUT", "http://%s/v2/multi/manifests/%s" % (REGISTRY, child["digest"]), body,
            {"Content-Type": child["mediaType"]})
push_manifest("multi", "1", index, OCI_INDEX)

# ---- broken images: each must fail with a one-line error naming image and layer (exit 3).
def broken(name, plain, blob, media_type=OCI_GZIP, diff_id=None):
    b = Image(name)
    b.layer(plain, blob, media_type, "broken", diff_id)
    b.push()

ok_tar = tar_bytes([member("etc/hostname", data=b"box\n"), member("srv/data", data=os.urandom(4000))])
broken("truncated-tar", ok_tar[:1200], gzip.compress(ok_tar[:1200], mtime=0))
corrupt = bytearray(gzip.compress(ok_tar, mtime=0))
corrupt[-7] ^= 0xFF  # the member's CRC-32: the data inflates, the check fails
broken("corrupt-gzip", ok_tar, bytes(corrupt))
broken("gzip-trailer", ok_tar, gzip.compress(ok_tar, mtime=0) + b"NOT GZIP")
broken("diffid-mismatch", ok_tar, gzip.compress(ok_tar, mtime=0), diff_id="sha256:" + "0" * 64)
broken("mislabelled", ok_tar, gzip.compress(ok_tar, mtime=0), media_type=OCI_ZSTD)
bomb = tar_bytes([member("zeros", data=bytes(48 << 20))])
broken("bomb", bomb, gzip.compress(bomb, 9, mtime=0))
# noise: 3 MiB that do not compress (the fault-proxy checks cut its transfer in the middle).
noise = tar_bytes([member("srv/noise.bin", data=os.urandom(3 << 20))])
n = Image("noise")
n.layer(noise, gzip.compress(noise, 1, mtime=0), OCI_GZIP, "noise")
n.push()
# Hostile names: traversal (ignored, reported), an escape sequence, a symlink loop in a bin dir.
hostile = tar_bytes([
    member("../../../etc/evil", data=b"x"),
    member("usr/bin/evil\x1b[2Jname", data=b"x", mode=0o4755),
    member("usr/local/bin", "symlink", link="/usr/local/bin2"),
    member("usr/local/bin2", "symlink", link="/usr/local/bin"),
    member("loop/a", "symlink", link="b"), member("loop/b", "symlink", link="a"),
])
h = Image("hostile")
h.layer(hostile, gzip.compress(hostile, mtime=0), OCI_GZIP, "hostile")
h.push()
print("audit images pushed to", REGISTRY)

#!/usr/bin/python3
"""The independent side of the audit e2e test: what an image holds, derived without the code
under test. The layers (OUTDIR/<name>/layer-N.tar, written by build_audit_images.py) are
extracted with GNU tar into a scratch root, whiteouts and opaque markers applied by hand
before each layer; then the root is measured with lstat/readlink, dpkg-query, rpm and grep.

  derive_facts.py OUTDIR NAME  ->  JSON on stdout (the keys of audit -o json it can check)
"""
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

OUT, NAME = sys.argv[1], sys.argv[2]
src = os.path.join(OUT, NAME)
config = json.load(open(os.path.join(src, "config.json")))
root = tempfile.mkdtemp(prefix="derive-")
layers = sorted(f for f in os.listdir(src) if f.endswith(".tar"))
payload = 0
for layer in layers:
    path = os.path.join(src, layer)
    names = subprocess.run(["tar", "-tf", path], stdout=subprocess.PIPE, check=True, text=True,
                           errors="surrogateescape").stdout.splitlines()
    for name in names:
        base = os.path.basename(name.rstrip("/"))
        parent = os.path.join(root, os.path.dirname(name.rstrip("/")).lstrip("./"))
        if base == ".wh..wh..opq":
            if os.path.isdir(parent) and not os.path.islink(parent):
                for child in os.listdir(parent):
                    p = os.path.join(parent, child)
                    shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
        elif base.startswith(".wh."):
            p = os.path.join(parent, base[4:])
            if os.path.islink(p) or os.path.isfile(p):
                os.unlink(p)
            elif os.path.isdir(p):
                shutil.rmtree(p)
    subprocess.run(["tar", "-xpf", path, "-C", root, "--exclude=.wh.*", "--numeric-owner"], check=True)
    listing = subprocess.run(["tar", "-tvf", path], stdout=subprocess.PIPE, check=True, text=True,
                             errors="surrogateescape").stdout.splitlines()
    for line in listing:
        if line.startswith("-"):
            payload += int(line.split()[2])


def resolve(path, follow_last=True):
    """`path` inside the root: absolute links restart at the root, '..' stops there, 40 hops."""
    todo = [p for p in path.split("/") if p not in ("", ".")]
    cur, hops = [], 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            cur = cur[:-1]
            continue
        real = os.path.join(root, *cur, part)
        if os.path.islink(real) and (todo or follow_last):
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(real)
            if target.startswith("/"):
                cur = []
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
            continue
        if not os.path.lexists(real):
            return None
        cur.append(part)
    return "/" + "/".join(cur)


def host(path):
    return os.path.join(root, path.lstrip("/"))


CATEGORIES = {
    "shells": "sh bash rbash dash ash hush zsh ksh mksh csh tcsh fish busybox",
    "package_managers": "apt apt-get aptitude dpkg apk yum dnf microdnf tdnf rpm zypper pacman pip pip3 npm gem",
    "network_tools": "curl wget nc ncat netcat socat ssh scp sftp telnet ftp tftp",
    "editors": "vi vim vim.tiny vim.basic nano pico ed emacs joe",
    "compilers": "gcc g++ cc c++ clang clang++ make go rustc javac",
}
facts = {k: set() for k in CATEGORIES}
path_dirs = [d for d in next((e[5:] for e in config["config"].get("Env", []) if e.startswith("PATH=")), "").split(":")
             if d.startswith("/")]
seen = set()
for d in ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] + path_dirs:
    r = resolve(d)
    if r is None or not os.path.isdir(host(r)) or os.path.islink(host(r)) or r in seen:
        continue
    seen.add(r)
    for name in os.listdir(host(r)):
        entry = os.path.join(r, name)
        st = os.lstat(host(entry))
        if stat.S_ISDIR(st.st_mode):
            continue
        if stat.S_ISLNK(st.st_mode):
            t = resolve(entry)
            if t is None or os.path.isdir(host(t)):
                continue
        for key, words in CATEGORIES.items():
            if name in words.split():
                facts[key].add(entry.replace("//", "/"))

setuid, setgid, files, dirs, symlinks, inodes, content = set(), set(), 0, 0, 0, set(), 0
for dirpath, dirnames, filenames in os.walk(root):
    for d in list(dirnames):
        p = os.path.join(dirpath, d)
        if os.path.islink(p):
            filenames.append(d)
            dirnames.remove(d)
        else:
            dirs += 1
    for f in filenames:
        p = os.path.join(dirpath, f)
        st = os.lstat(p)
        files += 1
        rel = "/" + os.path.relpath(p, root)
        if stat.S_ISLNK(st.st_mode):
            symlinks += 1
            continue
        if st.st_mode & stat.S_ISUID:
            setuid.add(rel)
        if st.st_mode & stat.S_ISGID:
            setgid.add(rel)
        if stat.S_ISREG(st.st_mode) and st.st_ino not in inodes:
            inodes.add(st.st_ino)
            content += st.st_size

os_facts = None
for candidate in ("/etc/os-release", "/usr/lib/os-release"):
    r = resolve(candidate)
    if r and os.path.isfile(host(r)):
        values = {}
        for line in open(host(r)):
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                values[k] = " ".join(shlex.split(v))
        os_facts = {"id": values.get("ID", ""), "version_id": values.get("VERSION_ID", ""),
                    "pretty_name": values.get("PRETTY_NAME", ""), "source": candidate}
        break

dbs = []
r = resolve("/var/lib/dpkg/status")
if r and os.path.isfile(host(r)):
    out = subprocess.run(["dpkg-query", "--admindir=" + os.path.dirname(host(r)), "-W",
                          "-f=${db:Status-Abbrev} ${Package}\n"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, check=True).stdout
    dbs.append({"type": "dpkg", "path": r,
                "packages": sorted(l.split()[-1] for l in out.splitlines() if l.startswith("ii"))})
r = resolve("/var/lib/dpkg/status.d")
if r and os.path.isdir(host(r)):
    names = set()
    for f in os.listdir(host(r)):
        if not f.endswith(".md5sums"):
            names |= {l[8:].strip() for l in open(os.path.join(host(r), f)) if l.startswith("Package:")}
    dbs.append({"type": "dpkg", "path": r, "packages": sorted(names)})
r = resolve("/lib/apk/db/installed")
if r and os.path.isfile(host(r)):
    dbs.append({"type": "apk", "path": r,
                "packages": sorted({l[2:].strip() for l in open(host(r)) if l.startswith("P:")})})
r = resolve("/var/lib/rpm/rpmdb.sqlite")
if r and os.path.isfile(host(r)):
    out = subprocess.run(["rpm", "--dbpath", os.path.dirname(host(r)), "-qa", "--qf", "%{NAME}\n"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    dbs.append({"type": "rpm", "path": r, "packages": sorted(out.split())})

uncompressed = sum(os.path.getsize(os.path.join(src, l)) for l in layers)
print(json.dumps({
    **{k: sorted(v) for k, v in facts.items()},
    "setuid": sorted(setuid), "setgid": sorted(setgid), "os": os_facts,
    "files": files, "dirs": dirs, "symlinks": symlinks, "content_bytes": content,
    "wasted_bytes": payload - content, "uncompressed_bytes": uncompressed, "package_dbs": dbs,
    "volumes": sorted(config["config"].get("Volumes", {}) or {}), "user": config["config"].get("User", ""),
}, indent=1, sort_keys=True))
shutil.rmtree(root)

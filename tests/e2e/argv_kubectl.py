#!/usr/bin/env python3
"""Differential test: command lines read the way kubectl (pflag) reads them.

  argv_kubectl.py BINARY

Generates command-line shapes for `kubectl create secret docker-registry` (empty values,
`-n=ns`, `-nns`, `-ojson`, brackets, repeated flags, bool flags with values, `--`, unknown
flags ...), runs each through every kubectl on this machine (`kubectl` and the Cloud SDK's
`kubectl.1.NN` beside it) and through `BINARY secret create`, and compares: both succeed
with the same stdout bytes, or both fail. The expected side is always real kubectl.
Exit 77 (skip) when no kubectl is installed.
"""
import concurrent.futures
import glob
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

BINARY = os.path.abspath(sys.argv[1])


def kubectls():
    found = []
    main = shutil.which("kubectl")
    if main:
        found.append(main)
        real = os.path.dirname(os.path.realpath(main))
        found += sorted(glob.glob(os.path.join(real, "kubectl.1.*")))
    return found


# Each dimension: alternative argument lists (one is picked per shape).
NAME = [["s"], ["[a,b]"], ["[::1]"], ["s-1.x"]]
SERVER = [[], ["--docker-server=r.io"], ["--docker-server", "r.io:5000"], ["--docker-server="],
          ["--docker-server", "[::1]:5000"], ["--docker-server=https://r.io/v2/"]]
USER = [["--docker-username=u"], ["--docker-username", "robot"], ["--docker-username="],
        ["--docker-username", "-x"], ["--docker-username=a", "--docker-username=b"]]
PASSWORD = [["--docker-password=p"], ["--docker-password", "p w"], ["--docker-password="],
            ["--docker-password", "--"], ["--docker-password=[a,b]"]]
EMAIL = [[], ["--docker-email="], ["--docker-email=e@x.io"], ["--docker-email", "--docker-server=r.io"]]
NAMESPACE = [[], ["-n=ns"], ["-nns"], ["-n", "ns"], ["--namespace=ns"], ["--namespace="], ["-n="],
             ["-n", "a", "-n", "b"], ["--namespace", "[x]"]]
OUTPUT = [["-o", "yaml"], ["-oyaml"], ["-o=json"], ["-ojson"], ["--output=json"], ["-o", "name"],
          ["--output="], ["-o", "wide"], ["-o", "json", "-o", "yaml"]]
HASH = [[], ["--append-hash"], ["--append-hash=true"], ["--append-hash=false"], ["--append-hash=yes"],
        ["--append-hash=1"], ["--append-hash=T"], ["--append-hash="]]
DRY = [["--dry-run=client"], ["--dry-run"], ["--dry-run="], ["--dry-run", "client"], ["--dry-run=Client"]]
DIMENSIONS = [NAME, SERVER, USER, PASSWORD, EMAIL, NAMESPACE, OUTPUT, HASH, DRY]

# Whole shapes that the dimensions do not produce.
EXTRA = [
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "--bogus"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "---x"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "-Z"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "-o"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "--docker-server"],
    ["--docker-username=u", "--docker-password=p", "--dry-run=client", "--", "s"],
    ["--docker-username=u", "--docker-password=p", "--dry-run=client", "--", "-s"],
    ["--docker-username=u", "--docker-password=p", "--dry-run=client", "--", "s", "t"],
    ["--docker-username=u", "--docker-password=p", "--dry-run=client"],
    ["s", "t", "--docker-username=u", "--docker-password=p", "--dry-run=client"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "-ojson", "-nns", "--append-hash"],
    ["s", "--docker-password=p", "--dry-run=client"],
    ["s", "--docker-username=u", "--dry-run=client"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "-", "-o", "name"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "--docker-email", "-n", "x"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "--namespace", "--output=json"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "--append-hash", "true"],
    ["s", "--docker-username=u", "--docker-password=p", "--dry-run=client", "--from-file="],
]


def shapes():
    base = [d[0] for d in DIMENSIONS]
    out = [list(itertools.chain.from_iterable(base))]
    for i, dim in enumerate(DIMENSIONS):  # every alternative of every dimension, others at base
        for alt in dim[1:]:
            pick = list(base)
            pick[i] = alt
            out.append(list(itertools.chain.from_iterable(pick)))
    rng = random.Random(20261203)  # and random combinations, reproducibly
    for _ in range(80):
        pick = [rng.choice(d) for d in DIMENSIONS]
        order = list(range(len(pick)))
        rng.shuffle(order)
        out.append(list(itertools.chain.from_iterable(pick[k] for k in order)))
    out += EXTRA
    seen, unique = set(), []
    for s in out:
        if tuple(s) not in seen:
            seen.add(tuple(s))
            unique.append(s)
    return unique


def run(argv, env):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60)
    return p.returncode, p.stdout


def minor_version(kubectl):
    """1.NN of a kubectl binary, from its own `version --client`."""
    out = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True).stdout
    found = re.search(r"v1\.(\d+)", out)
    return "1." + found.group(1) if found else ""


def main():
    binaries = kubectls()
    if not binaries:
        print("skip: no kubectl on this machine")
        return 77
    home = tempfile.mkdtemp()
    env = dict(os.environ, HOME=home, KUBECONFIG=os.path.join(home, "none"))
    env.pop("IMAGE_SECURE_KUBECTL_VERSION", None)
    cases = shapes()
    versions = {k: minor_version(k) for k in binaries}
    jobs = []
    for shape in cases:
        # Our default output is yaml, kubectl's a "created" line: both get a leading -o yaml,
        # which a later -o in the shape overrides (the last one wins in pflag). Ours imitates
        # each kubectl's version (--kubectl-version would change the shape: the environment).
        for k in binaries:
            jobs.append(("ours@" + k, shape, [BINARY, "secret", "create", "-o", "yaml"] + shape,
                         dict(env, IMAGE_SECURE_KUBECTL_VERSION=versions[k])))
            jobs.append((k, shape, [k, "create", "secret", "docker-registry", "-o", "yaml"] + shape, env))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = list(pool.map(lambda j: run(j[2], j[3]), jobs))
    shutil.rmtree(home, ignore_errors=True)
    by_shape = {}
    for (who, shape, _, _), result in zip(jobs, results):
        by_shape.setdefault(tuple(shape), {})[who] = result
    differences = 0
    agreeing_ok = 0
    for shape in cases:
        got = by_shape[tuple(shape)]
        for k in binaries:
            rc, out = got[k]
            ours_rc, ours_out = got["ours@" + k]
            if rc == 0 and ours_rc == 0 and out == ours_out:
                agreeing_ok += 1
                continue
            if rc != 0 and ours_rc != 0:
                continue
            differences += 1
            print("DIFF %s: %s\n     kubectl exit %d, ours exit %d%s" % (
                os.path.basename(k), " ".join(repr(a) for a in shape), rc, ours_rc,
                "" if rc or ours_rc else " (stdout differs)"))
    total = len(cases) * len(binaries)
    print("%d shapes x %d kubectl binaries (%s): %d comparisons, %d both succeeded with equal bytes, "
          "%d differences" % (len(cases), len(binaries), ", ".join(os.path.basename(b) for b in binaries),
                              total, agreeing_ok, differences))
    if len(cases) < 100:
        print("FAIL: fewer than 100 shapes")
        return 1
    print("%d passed, %d failed" % (total - differences, differences))
    return 1 if differences else 0


sys.exit(main())

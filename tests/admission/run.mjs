// The admission agreement test: for each configuration, the oracle (oracle.mjs) evaluates the
// generated policies with an independent CEL implementation over every pod-bearing object of
// the corpus, the validate test cases, the examples and cases/references.yaml, and compares
// them with validate and rewrite. Also: the stream's shape (shape.mjs), kubectl reading it,
// golden files, the refusals, and two controls that must disagree (the test can fail).
// usage: node run.mjs BINARY SHARED_DIR
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [bin, shared] = process.argv.slice(2).map((p) => resolve(p));
const repo = resolve(here, "../..");
const work = mkdtempSync(join(tmpdir(), "admission-"));
let checks = 0;
let failures = 0;
const ok = (name) => { checks++; console.log(`ok   ${name}`); };
const bad = (name, detail = "") => { checks++; failures++; console.log(`FAIL ${name}${detail ? `\n     ${detail}` : ""}`); };

const yamlIn = (dir) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
const corpus = join(shared, "corpus/real");
if (!existsSync(corpus)) console.log(`note: ${corpus} is absent; the agreement runs without the real corpus`);
const files = [
  ...(existsSync(corpus) ? yamlIn(corpus) : []),
  ...readdirSync(join(repo, "tests/e2e/cases/validate")).map((c) => join(repo, "tests/e2e/cases/validate", c, "app.yaml")).filter(existsSync),
  ...yamlIn(join(repo, "examples/app")),
  join(here, "cases/references.yaml"),
];
const cases = (f) => join(here, "cases", f);

// name, --fail-on, admission flags, validate flags, rewrite flags (null: no mutation)
const configs = [
  ["defaults", "warning", [], ["--kubernetes-version", "1.34"], null],
  ["strict", "info",
    ["--policy", cases("strict-policy.yaml"), "--fail-on", "info", "--action", "warn,audit"],
    ["--policy", cases("strict-policy.yaml"), "--kubernetes-version", "1.34"], null],
  ["custom", "error",
    ["--policy", cases("custom-policy.yaml"), "--fail-on", "error", "--allowed-registry", "docker.io",
      "--allowed-registry", "registry.example.com:5000", "--allowed-registry", "https://GHCR.io/acme/"],
    ["--policy", cases("custom-policy.yaml"), "--allowed-registry", "docker.io",
      "--allowed-registry", "registry.example.com:5000", "--allowed-registry", "https://GHCR.io/acme/"], null],
  ["mutate-keep", "warning",
    ["--mutate", "--registry", "private-registry.io/apps", "--pull-secret", "regcred"],
    ["--kubernetes-version", "1.34"], ["--registry", "private-registry.io/apps", "--pull-secret", "regcred"]],
  ["mutate-flatten", "warning",
    ["--mutate", "--registry", "Registry.Example.com:5000", "--path-mode", "flatten", "--pull-secret", "a",
      "--pull-secret", "b", "--pull-secret", "a", "--kubernetes-version", "1.35"],
    ["--kubernetes-version", "1.35"],
    ["--registry", "Registry.Example.com:5000", "--path-mode", "flatten", "--pull-secret", "a", "--pull-secret", "b",
      "--pull-secret", "a"]],
  ["mutate-host", "warning",
    ["--mutate", "--registry", "private-registry.io/mirror", "--path-mode", "host"],
    ["--kubernetes-version", "1.34"], ["--registry", "private-registry.io/mirror", "--path-mode", "host"]],
  ["mutate-rules", "warning",
    ["--mutate", "--rules", cases("rules.yaml"), "--pull-secret", "extra", "--kubernetes-version", "1.36"],
    ["--kubernetes-version", "1.36"], ["--rules", cases("rules.yaml"), "--pull-secret", "extra"]],
];

function oracle(name, failOn, admission, validate, rewrite) {
  const config = { bin, name, failOn, admission: ["admission", ...admission], validate, rewrite, files };
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  const r = spawnSync(process.execPath, [join(here, "oracle.mjs"), path], { encoding: "utf8", maxBuffer: 1 << 26 });
  let counts = null;
  try {
    counts = JSON.parse(r.stdout.trim().split("\n").pop());
  } catch {
    counts = null;
  }
  return { status: r.status, counts, stderr: r.stderr };
}

const totals = { objects: 0, compared: 0, denied: 0, mutationCompared: 0, mutated: 0 };
const denials = {};
for (const [name, failOn, admission, validate, rewrite] of configs) {
  const { status, counts, stderr } = oracle(name, failOn, admission, validate, rewrite);
  if (status === 0 && counts && counts.disagreements === 0 && counts.compared > 0 && (rewrite === null || counts.mutationCompared > 0)) {
    ok(`${name}: ${counts.objects} objects x ${counts.rules} rules = ${counts.compared} decisions agree with validate (${counts.denied} denials)`
      + (rewrite ? `; ${counts.mutationCompared} mutations equal rewrite's output (${counts.mutated} changed), idempotent` : ""));
    for (const k of Object.keys(totals)) totals[k] += counts[k];
    for (const [rule, n] of Object.entries(counts.denials)) denials[rule] = (denials[rule] ?? 0) + n;
  } else {
    bad(`${name}: the policies and validate/rewrite disagree`, stderr.split("\n").slice(0, 12).join("\n     "));
  }
  const stream = join(work, `${name}.yaml`);
  const gen = spawnSync(bin, ["admission", ...admission], { encoding: "utf8" });
  writeFileSync(stream, gen.stdout);
  const mapVersion = rewrite === null ? "none" : admission.includes("1.36") ? "v1" : "v1beta1";
  const shape = spawnSync(process.execPath, [join(here, "shape.mjs"), stream, mapVersion], { encoding: "utf8" });
  if (shape.status === 0) ok(`${name}: the stream has the API's shape (admissionregistration ${mapVersion === "none" ? "v1" : `v1 + ${mapVersion}`})`);
  else bad(`${name}: shape`, shape.stderr.split("\n").slice(0, 8).join("\n     "));
  // kubectl reads the stream as Kubernetes objects (offline: --local).
  const k = spawnSync("kubectl", ["label", "--local", "-f", stream, "image-secure.dev/checked=yes", "-o", "name"], { encoding: "utf8" });
  const want = rewrite === null ? 2 : 4;
  const names = k.stdout.trim().split("\n").filter(Boolean);
  if (k.status === 0 && names.length === want) ok(`${name}: kubectl reads the ${want} objects`);
  else bad(`${name}: kubectl label --local`, `${k.status} ${k.stdout} ${k.stderr}`.slice(0, 400));
  // Golden files: a reviewed copy of the text (the version line aside).
  const golden = join(here, "golden", `${name}.yaml`);
  if (existsSync(golden)) {
    const strip = (t) => t.split("\n").slice(1).join("\n").replaceAll(here, "<cases>").replaceAll(join(here, "cases"), "<cases>");
    if (strip(gen.stdout) === strip(readFileSync(golden, "utf8"))) ok(`${name}: matches golden/${name}.yaml`);
    else bad(`${name}: differs from golden/${name}.yaml (review, then regenerate with UPDATE_GOLDEN=1)`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, gen.stdout.replaceAll(here, "<cases>"));
  }
}

// Controls: a policy generated from other settings than validate's or rewrite's must be caught.
const control1 = oracle("control-validate", "warning", ["--allowed-registry", "quay.io"], ["--kubernetes-version", "1.34"], null);
if (control1.status === 1 && control1.counts?.disagreements > 0) ok(`control: an allow-list validate does not have gives ${control1.counts.disagreements} disagreements`);
else bad("control: a wrong validating policy was not caught", control1.stderr.slice(0, 300));
const control2 = oracle("control-rewrite", "warning", ["--mutate", "--registry", "a.example.com"], ["--kubernetes-version", "1.34"], ["--registry", "b.example.com"]);
if (control2.status === 1 && control2.counts?.disagreements > 0) ok(`control: a mutation to another registry gives ${control2.counts.disagreements} disagreements`);
else bad("control: a wrong mutating policy was not caught", control2.stderr.slice(0, 300));

// Refusals: exit 2 and one clear line.
const refusals = [
  [["--mutate", "--registry", "r.io", "--kubernetes-version", "1.33"], "--mutate needs MutatingAdmissionPolicy"],
  [["--kubernetes-version", "1.29"], "ValidatingAdmissionPolicy v1 needs Kubernetes 1.30"],
  [["--mutate"], "--mutate needs a target"],
  [["--registry", "r.io"], "add --mutate"],
  [["--action", "deny,warn"], "cannot be combined"],
  [["--action", "block"], "--action must be deny, warn or audit"],
  [["--namespace-selector", "team"], "KEY=VALUE"],
  [["--mutate", "--rules", cases("regex-groups.yaml")], "capture group $2"],
];
for (const [args, text] of refusals) {
  const r = spawnSync(bin, ["admission", ...args], { encoding: "utf8" });
  if (r.status === 2 && r.stdout === "" && r.stderr.includes(text) && r.stderr.trim().split("\n").length <= 2) ok(`refused: ${args.join(" ")}`);
  else bad(`refused: ${args.join(" ")} (exit ${r.status})`, r.stderr.slice(0, 300));
}

// A rules file with fields: (custom resources) says that the policy does not cover them.
{
  const warning = "fields: (image locations in custom resources) are not part";
  const r = spawnSync(bin, ["admission", "--mutate", "--rules", cases("fields-rules.yaml")], { encoding: "utf8" });
  const quiet = spawnSync(bin, ["admission", "--mutate", "--rules", join(repo, "examples/rules.yaml")], { encoding: "utf8" });
  if (r.status === 0 && r.stderr.includes(warning) && quiet.status === 0 && !quiet.stderr.includes(warning))
    ok("--rules with fields: warns that custom resources are not covered; the example rules (^LITERAL(.+)$ and $1) are accepted");
  else bad("--rules fields: warning", `${r.stderr} ${quiet.stderr}`.slice(0, 300));
}

// Flags as kubectl (pflag) reads them; the binding's scope written by hand from the API reference.
const binding = (args) => {
  const r = spawnSync(bin, ["admission", ...args], { encoding: "utf8" });
  if (r.status !== 0) return { error: r.stderr };
  const docs = r.stdout.split(/^---$/m).slice(1).map((d) => d.trim());
  return { text: docs.find((d) => d.includes("kind: ValidatingAdmissionPolicyBinding")) ?? "", all: r.stdout };
};
const scopes = [
  [["--exclude-namespace="], (b) => !b.text.includes("namespaceSelector"), "--exclude-namespace= excludes nothing"],
  [[], (b) => b.text.includes('operator: NotIn\n        values: ["kube-system"]'), "kube-system is excluded by default"],
  [["--namespace-selector=team=a=b", "--exclude-namespace", "ns1", "--exclude-namespace=ns2"],
    (b) => b.text.includes('"team": "a=b"') && b.text.includes('values: ["ns1", "ns2"]'), "selector and exclusions, = in a value"],
  [["--action=audit", "--action", "warn"], (b) => b.text.includes("validationActions: [Audit, Warn]"), "--action repeated"],
  [["--name=corp-images", "--mutate", "--registry=r.io", "--kubernetes-version=v1.36.2"],
    (b) => b.all.includes('policyName: "corp-images"') && b.all.includes('policyName: "corp-images-rewrite"')
      && b.all.includes("admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicy"), "--name and v1.36.2"],
];
for (const [args, test, what] of scopes) {
  const b = binding(args);
  if (!b.error && test(b)) ok(`flags: ${what}`);
  else bad(`flags: ${what}`, (b.error ?? b.text).slice(0, 400));
}

rmSync(work, { recursive: true, force: true });
console.log(`TOTAL ${totals.objects} objects, ${totals.compared} rule decisions, ${totals.denied} denials, `
  + `${totals.mutationCompared} mutations (${totals.mutated} changed): 0 disagreements over ${configs.length} configurations`);
console.log(`denials by rule (all configurations): ${Object.keys(denials).sort().map((r) => `${r} ${denials[r]}`).join(", ")}`);
console.log(`${checks} checks, ${failures} failed`);
process.exit(failures ? 1 : 0);

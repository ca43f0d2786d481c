// The oracle for `kubectl image-secure admission`: evaluates the generated policies with an
// independent CEL implementation (@bufbuild/cel: conformance-tested, RE2 for `matches`) on
// every pod-bearing object of the given manifests, bound as the API server binds `object`,
// and compares:
//   - for each object and each rule the ValidatingAdmissionPolicy enforces, "the policy
//     denies" with "validate reports that rule (unsuppressed, at or above --fail-on)";
//   - with a MutatingAdmissionPolicy, the object after its apply configuration (merged as
//     server-side apply merges: maps by key, the keyed lists of a pod spec by name) with the
//     object `rewrite` prints; and that applying the mutation again changes nothing.
// The generator's answers are never compared with themselves: validate and rewrite decide.
//
// usage: node oracle.mjs CONFIG.json   (see run.sh)
// CONFIG: {bin, name, admission: [args], validate: [args], rewrite: [args] | null, files: [paths]}
// Prints one JSON line of counts; exit 1 on any disagreement or evaluation error.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { celEnv, isCelError, isCelList, isCelMap, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { create } from "@bufbuild/protobuf";
import { ConstantSchema, ExprSchema } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import YAML from "yaml";

const POD_KINDS = new Set([
  "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob",
  "PodTemplate",
]);
// The lists of a pod spec that server-side apply merges by `name` (listType=map).
const KEYED = new Set(["containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets"]);
const SEVERITY = { info: 0, warning: 1, error: 2 };

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const env = celEnv({ funcs: strings });

// ---- objects -------------------------------------------------------------------------------
function objectsOf(file) {
  const out = [];
  let docs;
  try {
    docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: false });
  } catch {
    return out;
  }
  for (const doc of docs) {
    if (doc.errors.length > 0) continue;
    const value = doc.toJS();
    if (value === null || typeof value !== "object") continue;
    const items = Array.isArray(value.items) && /List$/.test(value.kind ?? "") ? value.items : [value];
    for (const item of items) {
      if (item && typeof item === "object" && POD_KINDS.has(item.kind) && typeof item.apiVersion === "string") {
        out.push({ file, object: item });
      }
    }
  }
  return out;
}

// JSON as the API server's CEL sees a typed object: maps, lists, int64 for integers; a null
// field is absent.
function toCel(value) {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(toCel);
  if (value !== null && typeof value === "object") {
    const m = new Map();
    for (const [k, v] of Object.entries(value)) if (v !== null) m.set(k, toCel(v));
    return m;
  }
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return value;
}

function fromCel(value) {
  if (isCelMap(value)) {
    const o = {};
    for (const [k, v] of value) o[String(k)] = fromCel(v);
    return o;
  }
  if (isCelList(value)) return [...value].map(fromCel);
  if (typeof value === "bigint") return Number(value);
  return value;
}

// ---- CEL -------------------------------------------------------------------------------------
// Kubernetes' apply configurations are `Object.a.b{field: value}`: typed by the schema of the
// object being mutated, which a CEL library outside the API server does not have. The oracle
// reads them as the maps they denote (field names as string keys); nothing else is changed.
let nextId = 1n << 40n;
function objectsAsMaps(expr) {
  if (expr === null || typeof expr !== "object") return;
  if (expr.$typeName === "cel.expr.Expr.CreateStruct" && /^Object(\.|$)/.test(expr.messageName)) {
    expr.messageName = "";
    for (const entry of expr.entries) {
      if (entry.keyKind.case === "fieldKey") {
        const key = entry.keyKind.value;
        entry.keyKind = {
          case: "mapKey",
          value: create(ExprSchema, {
            id: nextId++,
            exprKind: { case: "constExpr", value: create(ConstantSchema, { constantKind: { case: "stringValue", value: key } }) },
          }),
        };
      }
    }
  }
  for (const v of Object.values(expr)) {
    if (Array.isArray(v)) v.forEach(objectsAsMaps);
    else if (v !== null && typeof v === "object") objectsAsMaps(v);
  }
}

const planned = new Map();
function compile(source) {
  if (!planned.has(source)) {
    const parsed = parse(source);
    objectsAsMaps(parsed);
    planned.set(source, plan(env, parsed));
  }
  return planned.get(source);
}

function evaluate(source, bindings) {
  const result = compile(source)(bindings);
  if (isCelError(result)) throw new Error(`CEL error: ${result.message} in: ${source.slice(0, 120)}`);
  return result;
}

// Variables are evaluated in order, each seeing the ones before (as the API server does).
function bind(policy, object) {
  const variables = new Map();
  const bindings = { object: toCel(object), variables };
  for (const v of policy.spec.variables ?? []) variables.set(v.name, evaluate(v.expression, bindings));
  return bindings;
}

// ---- server-side apply merge (the part the generated apply configurations use) --------------
function isMap(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
function merge(target, patch, key) {
  if (Array.isArray(patch)) {
    if (!KEYED.has(key)) return patch;
    const out = Array.isArray(target) ? [...target] : [];
    for (const item of patch) {
      const i = out.findIndex((x) => isMap(x) && x.name === item.name);
      if (i >= 0) out[i] = merge(out[i], item, undefined);
      else out.push(item);
    }
    return out;
  }
  if (isMap(patch)) {
    const out = isMap(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v, k);
    return out;
  }
  return patch;
}
// A typed object does not tell an empty list from an absent one (omitempty).
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (isMap(value)) {
    const out = {};
    for (const k of Object.keys(value).sort()) {
      const v = value[k];
      if (v === null || (Array.isArray(v) && v.length === 0)) continue;
      out[k] = canonical(v);
    }
    return out;
  }
  return value;
}
const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function mutate(policy, object) {
  let out = object;
  for (const m of policy.spec.mutations) {
    const patch = fromCel(evaluate(m.applyConfiguration.expression, bind(policy, out)));
    out = merge(out, patch, undefined);
  }
  return out;
}

// ---- the tool --------------------------------------------------------------------------------
function tool(args, okCodes = [0]) {
  const r = spawnSync(config.bin, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  if (!okCodes.includes(r.status)) {
    throw new Error(`${config.bin} ${args.join(" ")} exited ${r.status}: ${r.stderr.trim().split("\n").pop()}`);
  }
  return r;
}

// One document per object; returns the first line of each.
function writeBundle(path, objects) {
  let text = "";
  const starts = [];
  for (const { object } of objects) {
    text += "---\n";
    starts.push(text.split("\n").length);
    text += YAML.stringify(object, { lineWidth: 0 });
  }
  writeFileSync(path, text);
  return starts;
}

// ---- main ------------------------------------------------------------------------------------
const stream = tool(config.admission).stdout;
const docs = YAML.parseAllDocuments(stream).map((d) => d.toJS()).filter(Boolean);
const vap = docs.find((d) => d.kind === "ValidatingAdmissionPolicy");
const map = docs.find((d) => d.kind === "MutatingAdmissionPolicy");
if (!vap) throw new Error("no ValidatingAdmissionPolicy in the stream");
const rules = vap.spec.validations.map((v) => (v.message.match(/^IS\d{3}/) ?? [null])[0]).filter(Boolean);
const failOn = SEVERITY[config.failOn ?? "warning"];

const objects = config.files.flatMap(objectsOf);
const dir = mkdtempSync(join(tmpdir(), "admission-oracle-"));
const counts = { config: config.name, objects: objects.length, rules: rules.length, compared: 0, denied: 0, mutated: 0,
  mutationCompared: 0, rewriteRefused: 0, disagreements: 0, denials: {} };
const problems = [];
try {
  const bundle = join(dir, "objects.yaml");
  const starts = writeBundle(bundle, objects);
  const docOf = (line) => {
    let i = 0;
    while (i + 1 < starts.length && starts[i + 1] <= line) i++;
    return i;
  };
  const findings = JSON.parse(tool(["validate", "-f", bundle, "-o", "json", ...config.validate], [0, 1]).stdout);
  const reported = objects.map(() => new Set());
  for (const f of findings) {
    if (!f.suppressed && SEVERITY[f.severity] >= failOn) reported[docOf(f.line)].add(f.rule);
  }
  objects.forEach(({ file, object }, i) => {
    const who = `${file}: ${object.kind}/${object.metadata?.name ?? "?"}`;
    let bindings;
    try {
      bindings = bind(vap, object);
    } catch (e) {
      problems.push(`${who}: variables: ${e.message}`);
      return;
    }
    vap.spec.validations.forEach((v, j) => {
      const rule = rules[j];
      counts.compared++;
      let denies;
      try {
        denies = evaluate(v.expression, bindings) !== true;
        if (denies) {
          const message = evaluate(v.messageExpression, bindings);
          if (typeof message !== "string" || !message.startsWith(rule) || message.includes("\n")) {
            problems.push(`${who}: ${rule}: bad messageExpression result ${JSON.stringify(message)}`);
          }
        }
      } catch (e) {
        problems.push(`${who}: ${rule}: ${e.message}`);
        return;
      }
      if (denies) {
        counts.denied++;
        counts.denials[rule] = (counts.denials[rule] ?? 0) + 1;
      }
      if (denies !== reported[i].has(rule)) {
        problems.push(`${who}: ${rule}: policy ${denies ? "denies" : "admits"}, validate ${reported[i].has(rule) ? "reports it" : "does not"}`);
      }
    });
  });
  if (map && config.rewrite) {
    // rewrite the whole bundle; when it refuses, object by object (a refused object is not
    // compared: rewrite exits 2 on it, the policy cannot refuse).
    let rewritten;
    const r = spawnSync(config.bin, ["rewrite", "-f", bundle, ...config.rewrite], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status === 0) {
      rewritten = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS());
    } else {
      rewritten = objects.map((o) => {
        const one = join(dir, "one.yaml");
        writeBundle(one, [o]);
        const s = spawnSync(config.bin, ["rewrite", "-f", one, ...config.rewrite], { encoding: "utf8" });
        return s.status === 0 ? YAML.parseAllDocuments(s.stdout).map((d) => d.toJS())[0] : undefined;
      });
    }
    if (rewritten.length !== objects.length) throw new Error(`rewrite printed ${rewritten.length} documents for ${objects.length}`);
    objects.forEach(({ file, object }, i) => {
      const who = `${file}: ${object.kind}/${object.metadata?.name ?? "?"}`;
      if (rewritten[i] === undefined) {
        counts.rewriteRefused++;
        return;
      }
      let once;
      let twice;
      try {
        once = mutate(map, object);
        twice = mutate(map, once);
      } catch (e) {
        problems.push(`${who}: mutation: ${e.message}`);
        return;
      }
      counts.mutationCompared++;
      if (!same(object, once)) counts.mutated++;
      if (!same(once, rewritten[i])) {
        problems.push(`${who}: mutated object differs from rewrite's:\n  policy:  ${JSON.stringify(canonical(once))}\n  rewrite: ${JSON.stringify(canonical(rewritten[i]))}`);
      }
      if (!same(once, twice)) problems.push(`${who}: the mutation is not idempotent`);
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
counts.disagreements = problems.length;
for (const p of problems.slice(0, 40)) console.error(`DISAGREE ${config.name}: ${p}`);
console.log(JSON.stringify(counts));
process.exit(problems.length > 0 ? 1 : 0);

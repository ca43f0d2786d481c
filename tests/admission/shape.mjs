// The stream's shape, checked against the Kubernetes API reference for
// admissionregistration.k8s.io (ValidatingAdmissionPolicy[Binding] v1,
// MutatingAdmissionPolicy[Binding] v1beta1/v1), written by hand: every field known, every
// enum value allowed, every expression parses as CEL. kubectl cannot do this offline (its
// client dry run asks the API server for discovery and OpenAPI).
// usage: node shape.mjs STREAM.yaml EXPECTED-MAP-VERSION|none
import { readFileSync } from "node:fs";
import { parse } from "@bufbuild/cel";
import YAML from "yaml";

const [file, mapVersion] = process.argv.slice(2);
const problems = [];
const fail = (where, what) => problems.push(`${where}: ${what}`);

const strings = { type: "strings" };
const string = { type: "string" };
const cel = { type: "cel" };
const enumOf = (...values) => ({ type: "enum", values });
const listOf = (item) => ({ type: "list", item });
const obj = (fields, required = []) => ({ type: "object", fields, required });

const labelSelector = obj({
  matchLabels: { type: "stringmap" },
  matchExpressions: listOf(obj({ key: string, operator: enumOf("In", "NotIn", "Exists", "DoesNotExist"), values: strings }, ["key", "operator"])),
});
const ruleWithOperations = obj({
  apiGroups: strings, apiVersions: strings, resources: strings, resourceNames: strings,
  operations: { type: "enumlist", values: ["CREATE", "UPDATE", "DELETE", "CONNECT", "*"] },
  scope: enumOf("Cluster", "Namespaced", "*"),
});
const matchResources = obj({
  namespaceSelector: labelSelector, objectSelector: labelSelector,
  resourceRules: listOf(ruleWithOperations), excludeResourceRules: listOf(ruleWithOperations),
  matchPolicy: enumOf("Exact", "Equivalent"),
});
const metadata = obj({ name: string, labels: { type: "stringmap" }, annotations: { type: "stringmap" } }, ["name"]);
const variables = listOf(obj({ name: { type: "identifier" }, expression: cel }, ["name", "expression"]));
const matchConditions = listOf(obj({ name: string, expression: cel }, ["name", "expression"]));
const paramRef = obj({ name: string, namespace: string, selector: labelSelector, parameterNotFoundAction: enumOf("Allow", "Deny") });
const paramKind = obj({ apiVersion: string, kind: string });

const schemas = {
  ValidatingAdmissionPolicy: obj({
    paramKind, matchConstraints: matchResources, variables, matchConditions,
    failurePolicy: enumOf("Fail", "Ignore"),
    validations: listOf(obj({ expression: cel, message: string, messageExpression: cel,
      reason: enumOf("Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge") }, ["expression"])),
    auditAnnotations: listOf(obj({ key: string, valueExpression: cel }, ["key", "valueExpression"])),
  }, ["matchConstraints"]),
  ValidatingAdmissionPolicyBinding: obj({
    policyName: string, paramRef, matchResources,
    validationActions: { type: "enumlist", values: ["Deny", "Warn", "Audit"] },
  }, ["policyName", "validationActions"]),
  MutatingAdmissionPolicy: obj({
    paramKind, matchConstraints: matchResources, variables, matchConditions,
    failurePolicy: enumOf("Fail", "Ignore"),
    reinvocationPolicy: enumOf("Never", "IfNeeded"),
    mutations: listOf(obj({ patchType: enumOf("ApplyConfiguration", "JSONPatch"),
      applyConfiguration: obj({ expression: cel }), jsonPatch: obj({ expression: cel }) }, ["patchType"])),
  }, ["matchConstraints", "mutations"]),
  MutatingAdmissionPolicyBinding: obj({ policyName: string, paramRef, matchResources }, ["policyName"]),
};

function check(where, value, schema) {
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") fail(where, "not a string");
      return;
    case "identifier":
      if (typeof value !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) fail(where, "not a CEL identifier");
      return;
    case "cel":
      if (typeof value !== "string") return fail(where, "not a string");
      try {
        parse(value);
      } catch (e) {
        fail(where, `CEL does not parse: ${e.message}`);
      }
      return;
    case "strings":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) fail(where, "not a list of strings");
      return;
    case "stringmap":
      if (value === null || typeof value !== "object" || Object.values(value).some((v) => typeof v !== "string")) fail(where, "not a map of strings");
      return;
    case "enum":
      if (!schema.values.includes(value)) fail(where, `${JSON.stringify(value)} is not one of ${schema.values}`);
      return;
    case "enumlist":
      if (!Array.isArray(value) || value.some((v) => !schema.values.includes(v))) fail(where, `not a list of ${schema.values}`);
      return;
    case "list":
      if (!Array.isArray(value)) return fail(where, "not a list");
      value.forEach((v, i) => check(`${where}[${i}]`, v, schema.item));
      return;
    case "object":
      if (value === null || typeof value !== "object" || Array.isArray(value)) return fail(where, "not a mapping");
      for (const [k, v] of Object.entries(value)) {
        if (!(k in schema.fields)) fail(`${where}.${k}`, "unknown field");
        else check(`${where}.${k}`, v, schema.fields[k]);
      }
      for (const k of schema.required) if (!(k in value)) fail(`${where}.${k}`, "required");
      return;
  }
}

const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
const kinds = [];
for (const [i, doc] of docs.entries()) {
  if (doc.errors.length) fail(`document ${i}`, doc.errors[0].message);
  const o = doc.toJS();
  if (!o) continue;
  const where = `${o.kind}/${o.metadata?.name}`;
  kinds.push(o.kind);
  const schema = schemas[o.kind];
  if (!schema) { fail(where, "unexpected kind"); continue; }
  for (const k of Object.keys(o)) if (!["apiVersion", "kind", "metadata", "spec"].includes(k)) fail(`${where}.${k}`, "unknown field");
  check(`${where}.metadata`, o.metadata, metadata);
  check(`${where}.spec`, o.spec, schema);
  const want = o.kind.startsWith("Validating") ? "admissionregistration.k8s.io/v1" : `admissionregistration.k8s.io/${mapVersion}`;
  if (o.apiVersion !== want) fail(where, `apiVersion ${o.apiVersion}, want ${want}`);
  if (o.kind.endsWith("Binding")) {
    const policy = docs.map((d) => d.toJS()).find((p) => p && p.kind === o.kind.replace(/Binding$/, ""));
    if (!policy || policy.metadata.name !== o.spec.policyName) fail(where, "policyName names no policy of the stream");
    const actions = o.spec.validationActions ?? [];
    if (actions.includes("Deny") && actions.includes("Warn")) fail(where, "Deny and Warn together");
  }
}
const wantKinds = ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"];
if (mapVersion !== "none") wantKinds.push("MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding");
if (JSON.stringify(kinds) !== JSON.stringify(wantKinds)) fail("stream", `kinds ${kinds}, want ${wantKinds}`);
for (const p of problems) console.error(`SHAPE ${file}: ${p}`);
process.exit(problems.length ? 1 : 0);

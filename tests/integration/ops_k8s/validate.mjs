// Validates Kubernetes manifests offline against the Kubernetes API's JSON
// schemas, as compiled by the kubernetes-models package: types, required
// fields, enums and formats.  The API's schemas allow unknown fields (the
// server prunes or rejects them depending on its field validation), so a
// misspelt "readinesProbe" would pass them; this also fails on any field
// the schema never looked at, which is what `kubectl apply` does with
// strict field validation.
//
// usage: node validate.mjs FILE.yaml...   prints one line per object
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// "apps/v1" Deployment -> IoK8sApiAppsV1Deployment; "v1" -> Core.
function schemaName(apiVersion, kind) {
  const parts = apiVersion.split("/");
  const group = parts.length === 2 ? parts[0].split(".")[0] : "core";
  const version = parts[parts.length - 1];
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  return `IoK8sApi${cap(group)}${cap(version)}${kind}`;
}

// Wraps value so that every property the validator reads is recorded by
// its JSON path; what was never read is unknown to the schema.
function watch(value, path, seen) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || !Object.hasOwn(target, key)) return v;
      const p = `${path}/${key}`;
      seen.add(p);
      return watch(v, p, seen);
    },
  });
}

function ownPaths(value, path, out) {
  if (value === null || typeof value !== "object") return;
  for (const key of Object.keys(value)) {
    const p = `${path}/${key}`;
    out.push(p);
    ownPaths(value[key], p, out);
  }
}

let failed = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      for (const e of doc.errors) console.log(`${file}: YAML: ${e.message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const where = `${file}: ${obj.kind}/${obj.metadata?.name ?? "?"}`;
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      console.log(`${where}: apiVersion and kind are required`);
      failed++;
      continue;
    }
    let mod;
    try {
      mod = await import(
        `kubernetes-models/_schemas/${schemaName(obj.apiVersion, obj.kind)}`
      );
    } catch {
      console.log(`${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
      failed++;
      continue;
    }
    const seen = new Set();
    const ok = mod.validate(watch(obj, "", seen));
    const problems = [];
    if (!ok)
      for (const e of mod.validate.errors)
        problems.push(`${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`);
    const all = [];
    ownPaths(obj, "", all);
    for (const p of all)
      if (!seen.has(p)) {
        const parent = p.slice(0, p.lastIndexOf("/"));
        // Report the outermost unknown field only.
        if (parent === "" || seen.has(parent)) problems.push(`${p}: unknown field`);
      }
    if (problems.length) {
      failed++;
      for (const m of problems) console.log(`${where}: ${m}`);
    } else {
      console.log(`${where}: valid`);
    }
  }
}
process.exit(failed ? 1 : 0);

// Prints what ops_k8s.sh checks by hand, as shell assignments: the
// configuration file in the ConfigMap, the Secret's keys, and the
// Deployment's replicas, probe paths and PMBOT_* variables.
//
// usage: node inspect.mjs DIR OUTDIR
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const [dir, out] = process.argv.slice(2);
const objs = {};
for (const f of ["configmap", "secret", "deployment"])
  for (const d of parseAllDocuments(readFileSync(`${dir}/${f}.yaml`, "utf8")))
    objs[d.toJS().kind] = d.toJS();

writeFileSync(`${out}/pmbot.json`, objs.ConfigMap.data["pmbot.json"]);
const secret = objs.Secret.stringData;
for (const k of Object.keys(secret)) writeFileSync(`${out}/secret-${k}`, secret[k]);

const spec = objs.Deployment.spec;
const c = spec.template.spec.containers[0];
const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
const lines = [
  `replicas=${spec.replicas}`,
  `liveness=${q(c.livenessProbe.httpGet.path)}`,
  `readiness=${q(c.readinessProbe.httpGet.path)}`,
  `secret_mount=${q(c.volumeMounts.find((m) => m.name === "secrets").mountPath)}`,
  `config_mount=${q(c.volumeMounts.find((m) => m.name === "config").mountPath)}`,
  `args=${q(c.args.join(" "))}`,
];
for (const e of c.env) {
  if (e.value !== undefined) lines.push(`env_${e.name}=${q(e.value)}`);
  else lines.push(`envsecret_${e.name}=${q(e.valueFrom.secretKeyRef.key)}`);
}
console.log(lines.join("\n"));

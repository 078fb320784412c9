#!/usr/bin/env bash
# Wait for Kubernetes Jobs to complete, in order; stop at the first that fails or runs past
# the limit, and show its logs. Used by deploy.yml, CI's kind job and k8s/README.md:
#
#   scripts/wait-jobs.sh NAMESPACE TIMEOUT_S JOB...     e.g. ticket-triage 900 migrate bootstrap-model
set -euo pipefail

[ "$#" -ge 3 ] || { echo "usage: $0 NAMESPACE TIMEOUT_S JOB..." >&2; exit 2; }
namespace="$1"
deadline=$((SECONDS + $2))
shift 2
for job in "$@"; do
  while :; do
    # The conditions that hold: Complete, or Failed (backoffLimit or activeDeadlineSeconds).
    status="$(kubectl -n "$namespace" get job "$job" \
      -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}' 2>/dev/null || true)"
    case "$status" in
      *Complete*) echo "job/$job complete"; break ;;
      *Failed*) reason="failed" ;;
      *) reason="" ;;
    esac
    [ -z "$reason" ] && [ "$SECONDS" -ge "$deadline" ] && reason="still running at the time limit"
    if [ -n "$reason" ]; then
      echo "job/$job $reason" >&2
      kubectl -n "$namespace" logs "job/$job" --all-containers --tail=200 >&2 || true
      exit 1
    fi
    sleep 5
  done
done

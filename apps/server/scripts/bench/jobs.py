"""The 100k-text batch job phase: submit JSON items, poll until done, texts per second.

`POST /api/v1/jobs` answering 404 means the endpoint does not exist in this build yet:
the phase is skipped and reported as not available.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

TERMINAL = {"succeeded", "failed", "cancelled", "canceled"}


def run_job(
    base_url: str,
    texts: list[str],
    *,
    auth: dict[str, str],
    timeout_s: float,
    poll_s: float = 0.25,
) -> dict[str, Any]:
    """Submit `texts` as one job and wait for it; the outcome and timings as a dict."""
    body = json.dumps({"items": [{"text": text} for text in texts]}).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    result: dict[str, Any] = {"texts": len(texts), "body_bytes": len(body)}
    with httpx.Client(base_url=base_url, timeout=max(60.0, timeout_s), headers=auth) as client:
        started = time.monotonic()
        response = client.post("/api/v1/jobs", content=body, headers=headers)
        result["submit_s"] = round(time.monotonic() - started, 3)
        result["submit_status"] = response.status_code
        if response.status_code == 404:
            return {**result, "available": False, "status": "not available yet"}
        result["available"] = True
        if response.status_code >= 300:
            return {**result, "status": "rejected", "detail": response.text[:500]}
        job = response.json()
        location = response.headers.get("Location") or f"/api/v1/jobs/{job['id']}"
        result["job_id"] = str(job.get("id", location.rsplit("/", 1)[-1]))
        deadline = started + timeout_s
        status = str(job.get("status", "queued"))
        while status not in TERMINAL and time.monotonic() < deadline:
            time.sleep(poll_s)
            job = client.get(location).json()
            status = str(job.get("status", "unknown"))
        elapsed = time.monotonic() - started
    result.update(
        status=status if status in TERMINAL else f"timed out ({status})",
        seconds=round(elapsed, 2),
        texts_per_s=round(len(texts) / elapsed, 1) if status == "succeeded" else None,
        final=_small(job),
    )
    return result


def _small(job: Any, limit: int = 2000) -> Any:
    """The job's last status body, or its scalar fields when the whole is too long."""
    if len(json.dumps(job, default=str)) <= limit or not isinstance(job, dict):
        return job
    return {k: v for k, v in job.items() if isinstance(v, str | int | float | bool | None)}

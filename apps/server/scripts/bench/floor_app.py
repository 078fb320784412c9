"""The HTTP floor of the serving benchmark: a bare FastAPI app with one `GET` route.

No middleware, no dependencies, no database: what FastAPI and uvicorn cost for one small
JSON answer on this machine. Every figure of the benchmark is reported as a ratio to this
floor measured in the same run, so the ratios say what the project adds, not how fast the
machine is. Served by `floor_process` with uvicorn's defaults (uvloop and httptools when
installed, as the API), one worker.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/")
async def floor() -> dict[str, str]:
    return {"status": "ok"}

"""HTTP routers, one per resource.

Each router declares its full path prefix itself (`APIRouter(prefix=f"{API_V1}/jobs")`) and
is included without one, so `scope["route"].path` is the whole template the metrics and
access logs label requests with.
"""

API_V1 = "/api/v1"

"""Service metadata."""

from fastapi import APIRouter

from server import __version__
from server.routes import API_V1
from server.routes.deps import SettingsDep
from server.schemas.meta import ServiceInfo

router = APIRouter(prefix=f"{API_V1}/meta", tags=["meta"])


@router.get("", summary="Service name, version and environment")
async def service_info(settings: SettingsDep) -> ServiceInfo:
    return ServiceInfo(name=settings.app_name, version=__version__, environment=settings.env)

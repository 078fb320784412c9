"""Settings of model monitoring: drift, quality, retraining triggers."""

from pydantic import BaseModel


class MonitoringSettings(BaseModel):
    """Monitoring: drift, quality, calibration, retraining triggers."""

"""Service metadata for clients."""

from pydantic import BaseModel, Field


class ServiceInfo(BaseModel):
    name: str = Field(examples=["ticket-triage"])
    version: str = Field(examples=["0.1.0"])
    environment: str = Field(examples=["development"])

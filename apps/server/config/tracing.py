"""Settings of OpenTelemetry tracing."""

from pydantic import BaseModel, Field, field_validator


class TracingSettings(BaseModel):
    """Tracing (OpenTelemetry, exported over OTLP/HTTP)."""

    tracing_otlp_endpoint: str | None = Field(
        None,
        description="Base URL of an OTLP/HTTP collector (e.g. `http://jaeger:4318`); spans "
        "go to `<base>/v1/traces`. Unset: tracing is off and costs nothing (no SDK is "
        "installed).",
    )
    tracing_sample_ratio: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Share of new traces recorded (parent-based: a span follows its parent's "
        "decision, and a batch is recorded when a request it carries is).",
    )

    @field_validator("tracing_otlp_endpoint", mode="before")
    @classmethod
    def _empty_endpoint_is_none(cls, value: object) -> object:
        # An overlay or compose file that leaves the variable empty means "off".
        return None if value == "" else value

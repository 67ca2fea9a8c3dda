"""The only place that reads the environment: every setting, with its default."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """regledger settings, from REGLEDGER_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="REGLEDGER_", extra="ignore")

    database_url: str = "sqlite:///./regledger.db"
    host: str = "127.0.0.1"
    port: int = 8000
    signing_key_path: Path = Path("./regledger-ledger-key.pem")
    trusted_public_keys: list[str] = Field(
        default_factory=list,
        description="earlier signing keys (base64) whose tree heads `verify` still trusts",
    )
    tree_head_every: int = Field(default=100, ge=1, description="sign a tree head every N events")
    response_days: dict[str, int] = Field(
        default_factory=dict, description="appeal response deadline in days, per regulator"
    )
    max_body_bytes: int = 1_000_000
    min_position_timeout: float = Field(default=5.0, gt=0)
    run_projections: bool = Field(
        default=True, description="keep the views current inside the API process"
    )
    ready_max_lag: int = Field(
        default=100, ge=0, description="/readyz fails when the views lag the log by more events"
    )
    schedule_every: float = Field(
        default=30.0, gt=0, description="seconds between the scheduler's runs (expiry, deadlines)"
    )
    log_level: str = "info"
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's own OpenTelemetry spans, metrics and logs, for configured providers",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        from application.persistence.store import parse_url

        parse_url(value)
        return value


@lru_cache
def get_settings() -> Settings:
    """The process's settings (tests override the dependency or pass their own)."""
    return Settings()

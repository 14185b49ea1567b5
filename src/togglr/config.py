"""Settings, read from TOGGLR_* environment variables (and an optional .env file).

Never read at import: call `load_settings()` in the composition root.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOGGLR_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///./data/togglr.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    data_dir: Path = Field(
        Path("./data"), description="Where generated secrets (and the SQLite file) live"
    )
    host: str = Field(
        "127.0.0.1", description="Address the API, SDK API, OFREP, WebSocket and UI listen on"
    )
    port: int = Field(8080, description="Port of the main listener")
    metrics_host: str = Field("127.0.0.1", description="Address of the metrics listener")
    metrics_port: int = Field(
        8081, description="Port of the Prometheus /metrics listener (0 disables it)"
    )
    jwt_secret: str | None = Field(
        None,
        description="HMAC key for access/refresh tokens; generated into data_dir/jwt.secret when unset",
    )
    access_token_ttl: int = Field(900, description="Access token lifetime in seconds")
    refresh_token_ttl: int = Field(14 * 24 * 3600, description="Refresh token lifetime in seconds")
    refresh_reuse_grace: int = Field(
        10,
        ge=0,
        description=(
            "Seconds after a refresh token was rotated during which presenting it again yields "
            "another pair in the same session instead of ending the session (a page reload racing "
            "a silent refresh); 0 ends the session on any reuse"
        ),
    )
    admin_email: str = Field(
        "admin@togglr.dev", description="E-mail of the superuser created on first start"
    )
    admin_password: str | None = Field(
        None, description="Password of that superuser; generated and printed once when unset"
    )
    bus: Literal["memory", "nats"] = Field(
        "memory", description="Event bus: in-process, or NATS JetStream"
    )
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL when bus=nats")
    node_id: str = Field(
        default_factory=lambda: secrets.token_hex(4), description="This node's id on the bus"
    )
    webui_dir: Path | None = Field(
        None, description="Built web UI to serve at / (default: the packaged build)"
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Extra origins allowed by CORS"
    )
    api_max_body_bytes: int = Field(
        1024 * 1024,
        ge=1,
        description=(
            "Largest request body the management API and the UI accept, in bytes; larger ones "
            "answer 413 before they are read (the SDK API and OFREP have their own 64 KiB)"
        ),
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/8) of reverse proxies whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed; nobody's when unset, not even "
            "loopback (see docs/operations.md)"
        ),
    )
    hsts_max_age: int = Field(
        365 * 24 * 3600,
        ge=0,
        description=(
            "max-age in seconds of Strict-Transport-Security, sent on answers to HTTPS requests "
            "(directly or from a trusted proxy); 0 sends none"
        ),
    )
    schedule_backfill: float = Field(
        7 * 24 * 3600,
        ge=0,
        description=(
            "After a restart, record schedule transitions that fell while no server ran, at most "
            "this many seconds back; 0 records only what happens while a server runs"
        ),
    )
    stats_flush_interval: float = Field(
        5.0, description="Seconds between flushes of live statistics"
    )
    feedback_retention_days: int = Field(
        30,
        ge=0,
        description="Days raw feedback events are kept (0 = forever); statistics and rollups stay",
    )
    log_level: str = Field("info", description="Logging level")
    workers: int = Field(1, description="Server worker processes (uvicorn)")
    fast_password_hashing: bool = Field(
        False, description="Cheap argon2 parameters; for test suites only, never in production"
    )
    secret_key: str | None = Field(
        None,
        description="Key that encrypts secrets at rest (TOTP secrets, LDAP bind password); any length, "
        "generated into data_dir/secret.key when unset. Keep it: without it stored secrets are unreadable",
    )
    frontend_url: str | None = Field(
        None,
        description="Public base URL of the web UI, used in e-mailed links (default http://host:port)",
    )
    mailer_host: str | None = Field(None, description="SMTP server host; e-mail is off while unset")
    mailer_port: int = Field(587, description="SMTP server port")
    mailer_user: str | None = Field(None, description="SMTP user name (no login when unset)")
    mailer_password: str | None = Field(None, description="SMTP password")
    mailer_from: str = Field(
        "Togglr <togglr@localhost>", description="From address of e-mails Togglr sends"
    )
    mailer_tls: Literal["none", "starttls", "ssl"] = Field(
        "starttls",
        description="SMTP transport security: none, starttls (upgrade), or ssl (implicit TLS)",
    )
    mailer_verify_tls: bool = Field(True, description="Verify the SMTP server's TLS certificate")
    webhook_allow_private: bool = Field(
        False,
        description="Let notification channels (webhook, Slack, Mattermost, Telegram) send to "
        "loopback, private, link-local and other internal addresses, for receivers on your own "
        "network. Off by default: a project manager could otherwise make the server reach internal "
        "services (SSRF). Logged as a warning at start when on",
    )
    password_reset_ttl: int = Field(
        3600, description="Lifetime of an e-mailed password reset link in seconds"
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) for rate-limit counters; the database when unset",
    )
    saml_sp_base_url: str | None = Field(
        None,
        description="Public base URL of this server in SAML (ACS, metadata); default: the request's URL",
    )
    saml_sp_entity_id: str | None = Field(
        None,
        description="Togglr's SAML entity id; default <base>/api/v1/auth/sso/<provider>/metadata",
    )
    saml_sp_cert_file: Path | None = Field(
        None,
        description="PEM certificate of the SAML service provider; generated into data_dir when unset",
    )
    saml_sp_key_file: Path | None = Field(
        None, description="PEM private key matching saml_sp_cert_file"
    )
    saml_providers: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='SAML identity providers as JSON, {"name": {"display_name", "idp_metadata_url", ...}}; '
        "read-only in the API (see docs/sso-ldap.md)",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: Any) -> list[str]:
        """Each entry as a network (an address is a /32 or /128); anything else is an error at start."""
        items = value.split(",") if isinstance(value, str) else list(value or [])
        networks = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
        return networks

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept in data_dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt.secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret

    def resolved_secret_key(self) -> str:
        """The configured encryption key, or one generated once and kept in data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret

    def resolved_frontend_url(self) -> str:
        """Base URL for links in e-mails, without a trailing slash."""
        return (self.frontend_url or f"http://{self.host}:{self.port}").rstrip("/")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def settings_markdown() -> str:
    """docs/configuration.md, generated from the Settings class so it cannot drift."""
    lines = [
        "# Configuration",
        "",
        "Togglr reads `TOGGLR_*` environment variables (and a `.env` file in the working directory).",
        "This page is generated from `togglr.config.Settings` by `togglr config-docs`; a test fails",
        "when it is out of date.",
        "",
        "| variable | default | description |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "(generated)" if name == "node_id" else repr(field.default_factory())  # type: ignore[call-arg]
        else:
            default = "(unset)" if field.default is None else repr(field.default)
        default = default.replace("PosixPath(", "").replace("')", "'").replace("|", "\\|")
        text = (field.description or "").replace("|", "\\|")
        lines.append(f"| `TOGGLR_{name.upper()}` | `{default}` | {text} |")
    lines.append("")
    return "\n".join(lines)

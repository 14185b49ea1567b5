"""The ASGI application: management API (FastAPI), SDK API and OFREP (bare ASGI), WebSocket, UI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.responses import FileResponse, JSONResponse, Response

from togglr import __version__
from togglr.services import Services
from togglr.web import errors
from togglr.web.admin import accounts, audit, features, projects, segments, tags
from togglr.web.body_limit import BodyLimitMiddleware
from togglr.web.methods import MethodNotAllowedMiddleware
from togglr.web.metrics import HttpMetricsMiddleware, Metrics
from togglr.web.nul import refuse_nul_characters
from togglr.web.proxies import behind_proxies
from togglr.web.realtime import RealtimeHub
from togglr.web.realtime import router as realtime_router
from togglr.web.schemas import ErrorRead
from togglr.web.sdk.app import SdkApp
from togglr.web.security_headers import SecurityHeadersMiddleware, docs_policy

Hook = Callable[[], Awaitable[None]]
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorRead, "description": text}
    for code, text in (
        (400, "Invalid input"),
        (401, "Missing or invalid credentials"),
        (403, "Permission denied"),
        (404, "Not found"),
        (409, "Conflict"),
        (429, "Too many requests"),
    )
}


class TogglrApp:
    """Routes SDK and OFREP traffic to the bare ASGI app, everything else to FastAPI.

    `trusted_proxies` (networks) may set the client address and scheme of both; see proxies.py.
    """

    def __init__(self, api: Any, sdk: SdkApp, trusted_proxies: list[str] | None = None) -> None:
        self.api = api
        self.sdk = sdk
        self._entry = behind_proxies(self._route, trusted_proxies or [])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self._entry(scope, receive, send)

    async def _route(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/sdk/") or path.startswith("/ofrep/"):
                await self.sdk(scope, receive, send)
                return
        await self.api(scope, receive, send)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title="Togglr management API",
        version=__version__,
        routes=app.routes,
        description="Feature flags, targeting, experiments and governance.",
    )
    # Validation failures answer 400 with our error shape, not FastAPI's 422.
    for path in schema.get("paths", {}).values():
        for op in path.values():
            if isinstance(op, dict):
                op.get("responses", {}).pop("422", None)
    schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def _mount_ui(app: FastAPI, ui_dir: Path | None) -> None:
    if ui_dir is None or not (ui_dir / "index.html").exists():

        @app.get("/", include_in_schema=False)
        async def no_ui() -> JSONResponse:
            return JSONResponse(
                {
                    "name": "togglr",
                    "version": __version__,
                    "api": "/api/v1",
                    "docs": "/api/v1/docs",
                    "ui": "not built: run `make webui`",
                }
            )

        return
    root = ui_dir.resolve()
    index = root / "index.html"

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def spa(path: str) -> Response:
        if path.startswith(("api/", "sdk/", "ofrep/")):
            return errors.error_response(404, "not_found", f"no such endpoint: /{path}")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            cache = (
                "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            )
            return FileResponse(candidate, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})  # deep links


# Generating the OpenAPI document costs about a second; the 405 table needs only its paths, which
# depend on nothing but the (module-level) routers, so every app of a process built from the same
# routers shares one (tests build hundreds of apps).
_PATHS: dict[tuple[int, ...], dict[str, Any]] = {}


def _paths_once(
    routers: tuple[APIRouter, ...], document: Callable[[], dict[str, Any]]
) -> Callable[[], dict[str, Any]]:
    key = tuple(id(r) for r in routers)

    def paths() -> dict[str, Any]:
        if key not in _PATHS:
            _PATHS[key] = {"paths": document()["paths"]}
        return _PATHS[key]

    return paths


def create_app(
    services: Services,
    metrics: Metrics,
    *,
    ui_dir: Path | None = None,
    cors_origins: list[str] | None = None,
    on_startup: list[Hook] | None = None,
    on_shutdown: list[Hook] | None = None,
    extra_routers: list[APIRouter] | None = None,
    max_body_bytes: int = 1024 * 1024,
    trusted_proxies: list[str] | None = None,
    hsts_max_age: int = 365 * 24 * 3600,
) -> TogglrApp:
    hub = RealtimeHub(services, metrics)
    services.bus.subscribe(hub.handle)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup or []:
            await hook()
        yield
        for hook in on_shutdown or []:
            await hook()

    api = FastAPI(
        title="Togglr",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below, with a content security policy of its own
        redoc_url=None,
    )
    api.state.services = services
    api.state.metrics = metrics
    errors.install(api)
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]

    # Probes first: routes are matched in order, and these are polled often.
    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        try:
            await services.storage.ping()
        except Exception as exc:
            return JSONResponse(
                {"status": "unavailable", "database": str(exc)[:200]}, status_code=503
            )
        return JSONResponse(
            {"status": "ready", "environments": len(services.snapshots.environments())}
        )

    @api.get("/api/v1/docs", include_in_schema=False)
    async def docs() -> Response:
        page = get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="Togglr - Swagger UI")
        page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body))
        return page

    v1 = APIRouter(
        prefix="/api/v1",
        responses=ERROR_RESPONSES,
        dependencies=[Depends(refuse_nul_characters)],  # before anything reads a value
    )
    for module in (accounts, projects, features, segments, tags, audit):
        v1.include_router(module.router)
    for extra in extra_routers or []:
        v1.include_router(extra)
    api.include_router(v1)
    api.include_router(realtime_router(hub))

    _mount_ui(api, ui_dir)
    # Added innermost first; CORS stays outermost so that refusals carry its headers too.
    routers = (
        *(m.router for m in (accounts, projects, features, segments, tags, audit)),
        *(extra_routers or []),
    )
    api.add_middleware(
        MethodNotAllowedMiddleware, document=_paths_once(routers, api.openapi), prefix="/api/v1/"
    )
    api.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    api.add_middleware(SecurityHeadersMiddleware, hsts_max_age=hsts_max_age)
    api.add_middleware(
        CORSMiddleware,
        allow_origins=cors_origins or [],
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
        allow_credentials=False,
    )
    wrapped = HttpMetricsMiddleware(api, metrics)
    return TogglrApp(wrapped, SdkApp(services, metrics), trusted_proxies)

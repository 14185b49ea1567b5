# Togglr server with the built web UI. Build: docker build -t togglr .
FROM node:20-bookworm-slim AS webui
WORKDIR /src/webui
COPY webui/package.json webui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY webui/ ./
COPY spec/ /src/spec/
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TOGGLR_HOST=0.0.0.0 TOGGLR_METRICS_HOST=0.0.0.0 TOGGLR_DATA_DIR=/data \
    TOGGLR_DATABASE_URL=sqlite+aiosqlite:////data/togglr.db
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src/ src/
COPY --from=webui /src/webui/dist/ src/togglr/web/static/
RUN pip install --no-cache-dir . && useradd --system --home /data togglr && mkdir -p /data && chown togglr /data
USER togglr
VOLUME /data
EXPOSE 8080 8081
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["togglr", "serve"]

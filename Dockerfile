# One image for every xueji service; the command chooses the service:
#   xueji-dedup | xueji-workflow | xueji-evidence | xueji-notify | xueji (the CLI, e.g. the topics job)

FROM python:3.13-slim-trixie AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY contracts/ contracts/
# Dependencies first (cached while only the code changes), then the project itself.
RUN uv sync --frozen --no-dev --no-install-project --no-editable
COPY services/ services/
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.13-slim-trixie
RUN groupadd --gid 10001 xueji && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin xueji
COPY --from=build --chown=root:root /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 XUEJI_HTTP_HOST=0.0.0.0
USER 10001:10001
# the API port and the management port (health, metrics, API documentation)
EXPOSE 8000 9000
CMD ["xueji", "--help"]

# Storedesk production image: the app only; PostgreSQL runs beside it (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md main.py ./
COPY bot ./bot
COPY connectors ./connectors
COPY knowledge ./knowledge
COPY storage ./storage
COPY scheduler ./scheduler
RUN pip install . && useradd --create-home --uid 1000 storedesk \
    && mkdir -p /data && chown storedesk /data
USER storedesk
WORKDIR /data

# The config is mounted at /config/storedesk.toml; data_dir (LanceDB index) lives in /data.
ENV STOREDESK_CONFIG=/config/storedesk.toml
EXPOSE 8080
ENTRYPOINT ["storedesk"]
CMD ["serve"]

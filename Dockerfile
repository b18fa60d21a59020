# One image for every Rapport process; docker-compose.yml gives each container its command
# (python -m services.<name>, or python -m shared.messaging.provisioning).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install . \
    && useradd --system --create-home rapport \
    && mkdir -p /app/var \
    && chown rapport /app/var

# RAPPORT_DATA_DIR (default ./var) holds SQLite files when no database URL is configured.
USER rapport

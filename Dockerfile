# One image for web, worker, beat and the one-shot migrate service (see docker-compose.yml).
# Builder: every pinned requirement as a wheel, each checked against the lock's hashes.
FROM python:3.11-slim AS builder
WORKDIR /build
COPY requirements.lock .
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements.lock

# Runtime: the wheels, the source and the collected static files; it runs as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data DJANGO_ENV=prod
RUN groupadd --system --gid 10001 koongo && useradd --system --uid 10001 --gid koongo --home-dir /app --no-create-home koongo
WORKDIR /app
COPY requirements.lock .
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels --require-hashes -r requirements.lock
COPY . .
# The production storage writes the hashed manifest that DJANGO_ENV=prod serves from; the translations compile with
# Babel (no gettext in the image). Neither reads a secret.
RUN python manage.py collectstatic --noinput && python scripts/compile_messages.py && mkdir -p /data/media && chown -R 10001:10001 /data
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
# Preloaded app and frozen GC heap (koongo/gunicorn_conf.py); WEB_CONCURRENCY sets the workers.
CMD ["gunicorn", "-c", "koongo/gunicorn_conf.py", "koongo.wsgi"]

# One image for web, worker, beat and the one-shot migrate service (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN DJANGO_ENV=dev python manage.py collectstatic --noinput
EXPOSE 8000
# Preloaded app and frozen GC heap (koongo/gunicorn_conf.py); WEB_CONCURRENCY sets the workers.
CMD ["gunicorn", "-c", "koongo/gunicorn_conf.py", "koongo.wsgi"]

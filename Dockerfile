# One image for web, worker, beat and the one-shot migrate service (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN DJANGO_ENV=dev python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "koongo.wsgi", "-b", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

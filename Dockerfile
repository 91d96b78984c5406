# EMPACT Tracker: one image for every role (web, worker, beat, migrate); the command picks it.
# Build: docker build -t empact-tracker .   Run: see docker-compose.yml and docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user owns nothing but the media directory; the code stays root-owned, read-only.
RUN groupadd --system --gid 10001 empact \
    && useradd --system --uid 10001 --gid empact --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin empact

WORKDIR /app

# Dependencies first, so a code change reuses this layer (pure-pip wheels: no compiler needed).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files with hashed names and compressed copies, served by whitenoise. Settings need a
# SECRET_KEY with DEBUG off; this one exists only for the build and is never used at run time.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only-not-a-runtime-secret-0123456789 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown empact:empact /app/media

USER empact:empact

ENV DEBUG=0 \
    MEDIA_ROOT=/app/media
EXPOSE 8000

# /healthz answers before host validation and the HTTPS redirect: plain HTTP on loopback works.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "--config", "empact_tracker/gunicorn.conf.py", "empact_tracker.wsgi:application"]

# mockservers in a container: the four fakes and the admin API on :8000.
#
#   docker build -t mockservers .
#   docker run -p 8000:8000 -e MOCKSERVERS_ADMIN_TOKEN=change-me mockservers
#   # N replicas sharing one Redis, on a network where its container's name is its host name
#   # (docs/deploy.md, "Containers"):
#   docker network create mockservers
#   docker run -d --network mockservers --name redis redis:7 redis-server --appendonly yes
#   docker run --network mockservers -e MOCKSERVERS_ADMIN_TOKEN=… -e MOCKSERVERS_STORE=redis://redis:6379/0 mockservers
#
# --tls-self-signed DIR writes there once: DIR must be writable by the image's user, uid 10001
# (a host directory given to it, mounted with -v).
#
# Not built in CI (the CI machines have no Docker engine); docs/deploy.md says how it is meant
# to be run.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY mockservers ./mockservers
COPY clients ./clients
COPY fuzz ./fuzz
RUN pip install . && useradd --create-home --uid 10001 mockservers

USER mockservers
EXPOSE 8000

# serve reads MOCKSERVERS_ADMIN_TOKEN (required to bind 0.0.0.0; never baked into the image),
# MOCKSERVERS_STORE (optional: share the state with other replicas) and MOCKSERVERS_WORKERS.
CMD ["mockservers", "serve", "--host", "0.0.0.0", "--port", "8000"]

# GET /__admin/health at MOCKSERVERS_HEALTH_URL (set it when the command serves another port,
# or HTTPS: the certificate is not checked, the call goes to the container itself), with the
# admin token when MOCKSERVERS_ADMIN_TOKEN holds it; without it (a token from the config file)
# the kit's 401 counts: the process answers. tests/kit/test_dockerfile.py runs this line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD python -c "import os, ssl, http.client as h, urllib.parse as p; \
        url = p.urlsplit(os.environ.get('MOCKSERVERS_HEALTH_URL') or 'http://127.0.0.1:8000/__admin/health'); \
        token = os.environ.get('MOCKSERVERS_ADMIN_TOKEN'); \
        c = h.HTTPSConnection(url.netloc, timeout=2, context=ssl._create_unverified_context()) if url.scheme == 'https' else h.HTTPConnection(url.netloc, timeout=2); \
        c.request('GET', url.path or '/', headers={'X-Admin-Token': token} if token else {}); \
        status = c.getresponse().status; \
        raise SystemExit(not (status == 200 or status == 401 and not token))"

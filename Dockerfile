# The `api` and `worker` services of docker-compose.yml: one image, two commands.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    COVERSCOPE_DATA_DIR=/data OPENBLAS_NUM_THREADS=1
WORKDIR /app

# torch is pinned in pyproject.toml; take the CPU-only wheel so the image stays small.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md LICENSE ./
COPY coverscope ./coverscope
COPY model ./model
COPY backend ./backend
COPY training ./training
COPY datasets ./datasets
COPY docs ./docs
RUN pip install . && useradd --create-home --uid 1000 coverscope && mkdir -p /data \
    && chown coverscope /data
USER coverscope
ENV COVERSCOPE_EVALUATION_DIR=/app/docs/evaluation

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)" || exit 1
CMD ["gunicorn", "--config", "python:backend.gunicorn_conf"]

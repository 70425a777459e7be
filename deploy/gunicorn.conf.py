"""gunicorn's settings for `make serve`, read from the environment.

gthread workers: a connection is read by one of a worker's threads, so a slow client holds a
thread, never the whole process, and the worker's heartbeat (``timeout``) keeps beating while
its threads wait. Connections are not spread evenly over workers, so fewer than
GUNICORN_THREADS slow clients at once are safe whatever the spread; in front of more, put a
buffering proxy (nginx) that hands over whole requests.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A worker whose main loop stops answering for this long is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 8))
keepalive = 5
# Replace each worker now and then, so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = max_requests // 10
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

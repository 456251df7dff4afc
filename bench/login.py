"""Password logins per second per core, against the cost of Argon2id alone.

A password login should cost little beyond the hash: Argon2id is meant to be the expensive part
(OWASP ASVS 5.0 V6.2, RFC 9106), everything else (throttle, SQL, SSO session, audit record,
session cookie) should be small next to it. Three measurements, each on one core:

(a) argon2-cffi ``verify`` alone, with the default settings' parameters (m=19 MiB, t=2, p=1);
(b) successful logins through the app: ``POST /anmelden`` with a real CSRF token via Flask's test
    client (SQLite file, in-process store, a verified account, a returning device);
(c) the same through gunicorn with one sync worker, over HTTP from a small http.client loop.

Only successful logins are measured: they never touch the throttling delays, so every round does
the same work. Only the POST is timed; fetching the form (for its CSRF token) is not.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie
from importlib.metadata import version
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlencode, urlsplit

from argon2 import PasswordHasher, Type
from flask import Flask

from bench.report import Config, Op, Table, fmt, interleaved_rounds, median
from core import migrate
from core.clock import SystemClock
from core.db import db
from core.settings import Environment, Settings
from core.store import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
EMAIL = "bench@example.org"
PASSWORD = "Ein langer Satz für den Benchmark"
SECRET = "bench-secret-" + "b" * 40
SESSION_COOKIE = "bp_session"
DEVICE_COOKIE = "bp_device"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERIFY_LINK_RE = re.compile(r"https?://\S+/bestaetigen/\S+")


class BenchError(RuntimeError):
    """The benchmark could not do what it measures (e.g. a login did not succeed)."""


HASH = "(a) argon2-cffi verify alone"
APP = "(b) POST /anmelden, Flask test client"
SERVER = "(c) POST /anmelden, gunicorn 1 sync worker"


def run(config: Config) -> Table:
    defaults = Settings()
    with TemporaryDirectory(prefix="bench-login-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'bench.db'}"
        migrate.upgrade(database_url)
        app = _build_app(workdir, database_url)
        _create_verified_citizen(app)
        ops: dict[str, Op] = {HASH: _argon2_verify_op(defaults), APP: _test_client_login_op(app)}
        if config.gunicorn:
            port = stack.enter_context(_gunicorn(workdir, database_url))
            ops[SERVER] = _http_login_op(port)
        results = interleaved_rounds(config, ops)
        with app.app_context():
            db.engine.dispose()
    return _table(config, defaults, results)


# --- (a) the hash alone --------------------------------------------------------------------


def _argon2_verify_op(s: Settings) -> Op:
    hasher = PasswordHasher(
        time_cost=s.argon2_time_cost,
        memory_cost=s.argon2_memory_kib,
        parallelism=s.argon2_parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )
    stored = hasher.hash(PASSWORD)

    def verify() -> None:
        if not hasher.verify(stored, PASSWORD):
            raise BenchError("argon2 verify failed")

    return verify


# --- (b) through the app, Flask test client ------------------------------------------------


def _build_app(workdir: Path, database_url: str) -> Flask:
    import wsgi

    settings = Settings(
        environment=Environment.TEST,
        secret_key=SECRET,
        base_url="http://127.0.0.1",
        database_url=database_url,
        redis_url="",
        mail_outbox_dir=workdir / "outbox",
        var_dir=workdir,
    )
    clock = SystemClock()
    return wsgi.create_app(settings, clock=clock, store=MemoryStore(clock))


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise BenchError("page without CSRF token")
    return match.group(1)


def _create_verified_citizen(app: Flask) -> None:
    """Register and verify through the pages, with the link from the outbox."""
    client = app.test_client()
    form = {"email": EMAIL, "password": PASSWORD, "password_repeat": PASSWORD}
    token = _csrf(client.get("/registrieren").text)
    if client.post("/registrieren", data={"csrf_token": token, **form}).status_code != 303:
        raise BenchError("registration failed")
    mails = app.extensions["mailer"].messages()
    link = VERIFY_LINK_RE.search(mails[0].body) if mails else None
    if link is None:
        raise BenchError("no verification mail")
    path = urlsplit(link.group(0)).path
    token = _csrf(client.get(path).text)
    if client.post(path, data={"csrf_token": token}).status_code != 303:
        raise BenchError("verification failed")


def _test_client_login_op(app: Flask) -> Op:
    device = _device_cookie(app)

    def login() -> float:
        client = app.test_client()
        client.set_cookie(DEVICE_COOKIE, device)
        token = _csrf(client.get("/anmelden").text)
        data = {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
        start = time.perf_counter()
        response = client.post("/anmelden", data=data)
        elapsed = time.perf_counter() - start
        _check_login(response.status_code, response.headers.get("Location"))
        return elapsed

    return login


def _device_cookie(app: Flask) -> str:
    """The device cookie the hub gives on a first login: later logins are a returning device."""
    client = app.test_client()
    token = _csrf(client.get("/anmelden").text)
    response = client.post(
        "/anmelden", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    )
    _check_login(response.status_code, response.headers.get("Location"))
    cookie = client.get_cookie(DEVICE_COOKIE)
    if cookie is None:
        raise BenchError("no device cookie after the first login")
    return cookie.value


def _check_login(status: int, location: str | None) -> None:
    if status != 303 or not (location or "").endswith("/konto/profil"):
        raise BenchError(f"login did not succeed: {status} -> {location}")


# --- (c) through gunicorn, over HTTP -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _gunicorn(workdir: Path, database_url: str) -> Iterator[int]:
    """gunicorn serving ``wsgi:app`` with one sync worker on the benchmark's database; its port."""
    port = _free_port()
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(
        PYTHONPATH=str(ROOT),
        PORTAL_ENV=Environment.DEVELOPMENT.value,
        SECRET_KEY=SECRET,
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=database_url,
        MAIL_OUTBOX_DIR=str(workdir / "outbox"),
        PORTAL_VAR_DIR=str(workdir),
    )
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    if _version_tuple("gunicorn") >= (25, 1):
        # Not the shared ~/.gunicorn/gunicorn.ctl: another gunicorn on this machine keeps its own.
        command.append("--no-control-socket")
    command.append("wsgi:app")
    log_path = workdir / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
        try:
            _wait_until_ready(server, port, log_path)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _version_tuple(distribution: str) -> tuple[int, ...]:
    parts = version(distribution).split(".")
    return tuple(int(p) for p in parts[:2] if p.isdigit())


def _wait_until_ready(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited:\n{log_path.read_text(errors='replace')}")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer /healthz:\n{log_path.read_text(errors='replace')}")


Response = tuple[int, list[tuple[str, str]], bytes]


def _request(
    port: int, method: str, path: str, body: str | None = None, cookies: str = ""
) -> Response:
    """One request on its own connection (gunicorn's sync worker does not keep connections)."""
    headers = {"Cookie": cookies} if cookies else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    return {k: m.value for k, m in jar.items()}


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def _http_login_op(port: int) -> Op:
    credentials = {"email": EMAIL, "password": PASSWORD}

    def post_login(cookies: dict[str, str]) -> tuple[float, Response]:
        _status, headers, page = _request(port, "GET", "/anmelden", cookies=_jar(cookies))
        cookies = {**cookies, **_cookies(headers)}
        body = urlencode({"csrf_token": _csrf(page.decode()), **credentials})
        start = time.perf_counter()
        response = _request(port, "POST", "/anmelden", body, _jar(cookies))
        return time.perf_counter() - start, response

    _, (status, headers, _body) = post_login({})
    _check_login(status, _header(headers, "Location"))
    device = _cookies(headers).get(DEVICE_COOKIE, "")

    def login() -> float:
        elapsed, (status, headers, _body) = post_login({DEVICE_COOKIE: device})
        _check_login(status, _header(headers, "Location"))
        return elapsed

    return login


def _jar(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# --- the table -----------------------------------------------------------------------------


def _table(config: Config, s: Settings, results: dict[str, list[float]]) -> Table:
    table = Table(
        title=(
            f"Password logins per core vs. Argon2id alone (m={s.argon2_memory_kib} KiB, "
            f"t={s.argon2_time_cost}, p={s.argon2_parallelism})"
        ),
        columns=("measured", "per second", "ms each", "rounds ms", "beyond hash ms", "%"),
    )
    hash_rounds = results[HASH]
    hash_s = median(hash_rounds)
    for label, rounds in results.items():
        seconds = median(rounds)
        spread = f"{min(rounds) * 1000:.1f}–{max(rounds) * 1000:.1f}"
        if label == HASH:
            table.add(label, fmt(1 / seconds), fmt(seconds * 1000, 2), spread, "–", "–")
            continue
        beyond = median([r - h for r, h in zip(rounds, hash_rounds, strict=True)])
        table.add(
            label,
            fmt(1 / seconds),
            fmt(seconds * 1000, 2),
            spread,
            fmt(beyond * 1000, 2),
            f"{beyond / hash_s * 100:+.1f}",
        )
    table.notes += [
        f"{config.n} operations per round, {config.warmup} warm-up each, {config.rounds} rounds "
        "run interleaved (a, b, c, a, b, c, …); medians; one process (one core) each.",
        "beyond hash = median over rounds of (ms each − ms of (a) in the same round); "
        "% is relative to the hash alone.",
        f"CPU: {_cpu()} ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}); "
        f"Python {sys.version.split()[0]}, argon2-cffi {version('argon2-cffi')}.",
    ]
    if SERVER not in results:
        table.notes.append("(c) skipped (--no-gunicorn).")
    return table


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"

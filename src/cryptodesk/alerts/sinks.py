"""Alert sinks (webhook, email over SMTP, log, stdout) and delivery with retries and backoff.

Each alert goes to its sinks in parallel, each sink retrying on its own
(exponential backoff) so a slow or failing sink never delays or blocks the
others. Webhook URLs and SMTP passwords never appear in logs or errors: URLs are
reduced to ``scheme://host/…`` and passwords come from environment variables.
"""

from __future__ import annotations

import logging
import os
import smtplib
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from cryptodesk.alerts.rules import SinkConfig
from cryptodesk.alerts.ssrf import check_url, redact
from cryptodesk.core.errors import ConfigError, DeskError
from cryptodesk.core.models import Event

log = logging.getLogger("cryptodesk.alerts")


@dataclass(frozen=True)
class Alert:
    """One rule fired by one event."""

    rule: str
    key: str
    subject: str
    text: str
    event: Event
    fired_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The generic JSON payload."""
        event = self.event.to_json()
        return {"rule": self.rule, "key": self.key, "subject": self.subject, "text": self.text, "event": event}


class DeliveryError(DeskError):
    """A sink failed; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Sink(Protocol):
    """Something that delivers an alert (raises DeliveryError on failure)."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver ``alert`` once."""


def webhook_payload(alert: Alert, fmt: str) -> dict[str, Any]:
    """The body for a generic JSON, Slack (``text``) or Discord (``content``) webhook."""
    line = f"[{alert.rule}] {alert.text}"
    if fmt == "slack":
        return {"text": line}
    if fmt == "discord":
        return {"content": line[:2000]}
    return alert.to_json()


class WebhookSink:
    """POST JSON to a URL (SSRF-checked at every send, no redirects followed)."""

    def __init__(self, cfg: SinkConfig, *, allow_private: bool) -> None:
        self.name = cfg.name
        self.url = cfg.url or ""
        self.format = cfg.format
        self.timeout = cfg.timeout
        self.allow_private = allow_private
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        """One pooled client per sink (building an SSL context per request costs ~0.3 s)."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        return self._client

    def send(self, alert: Alert) -> None:
        """POST the payload; 5xx, 429 and network errors are retryable, other 4xx are not."""
        where = f"sink {self.name} ({redact(self.url)})"
        try:
            check_url(self.url, allow_private=self.allow_private, parameter=f"sink.{self.name}.url")
        except ConfigError as e:
            raise DeliveryError(str(e), retry=False) from e
        try:
            resp = self._http().post(self.url, json=webhook_payload(alert, self.format))
        except httpx.HTTPError as e:
            raise DeliveryError(f"{where}: {type(e).__name__}", retry=True) from e
        if resp.status_code >= 500 or resp.status_code == 429:
            raise DeliveryError(f"{where}: HTTP {resp.status_code}", retry=True)
        if resp.status_code >= 300:
            raise DeliveryError(f"{where}: HTTP {resp.status_code}", retry=False)


class EmailSink:
    """Send a plain-text email over SMTP (optional STARTTLS and login; password from an environment variable)."""

    def __init__(self, cfg: SinkConfig) -> None:
        self.name = cfg.name
        self.cfg = cfg

    def send(self, alert: Alert) -> None:
        """Send one message to every recipient; SMTP and network errors are retryable."""
        cfg = self.cfg
        msg = EmailMessage()
        msg["Subject"] = f"[cryptodesk] {alert.rule}: {alert.subject}"
        msg["From"] = cfg.sender
        msg["To"] = ", ".join(cfg.to)
        msg["X-Cryptodesk-Alert"] = alert.key
        msg.set_content(f"{alert.text}\n\nrule: {alert.rule}\nevent: {alert.key}\n")
        try:
            with smtplib.SMTP(cfg.host, cfg.port, local_hostname="cryptodesk.localhost", timeout=cfg.timeout) as smtp:
                if cfg.starttls:
                    smtp.starttls()
                if cfg.username:
                    smtp.login(cfg.username, os.environ.get(cfg.password_env or "", ""))
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(f"sink {self.name} (smtp {cfg.host}:{cfg.port}): {type(e).__name__}", retry=True) from e


class LogSink:
    """Write the alert line to the ``cryptodesk.alerts`` logger, or to stdout."""

    def __init__(self, cfg: SinkConfig) -> None:
        self.name = cfg.name
        self.stdout = cfg.type == "stdout"

    def send(self, alert: Alert) -> None:
        """Log or print one line."""
        line = f"ALERT [{alert.rule}] {alert.text}"
        if self.stdout:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        else:
            log.warning(line)


def build_sink(cfg: SinkConfig, *, allow_private: bool) -> Sink:
    """The sink for ``cfg``."""
    if cfg.type == "webhook":
        check_url(cfg.url or "", allow_private=allow_private, parameter=f"sink.{cfg.name}.url")
        return WebhookSink(cfg, allow_private=allow_private)
    if cfg.type == "email":
        return EmailSink(cfg)
    return LogSink(cfg)


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering one alert to one sink."""

    sink: str
    ok: bool
    attempts: int
    error: str | None = None


def send_with_retries(
    sink: Sink, alert: Alert, *, retries: int, backoff: float, sleep: Callable[[float], None] = time.sleep
) -> Delivery:
    """Try up to ``retries`` times, waiting backoff, 2*backoff, 4*backoff... between retryable failures."""
    error: str | None = None
    for attempt in range(1, retries + 1):
        try:
            sink.send(alert)
            return Delivery(sink.name, True, attempt)
        except DeliveryError as e:
            error = str(e)
            log.info("delivery to %s failed (attempt %d/%d): %s", sink.name, attempt, retries, error)
            if not e.retry:
                return Delivery(sink.name, False, attempt, error)
        except Exception as e:  # a broken sink must not take the others down
            error = f"sink {sink.name}: {type(e).__name__}"
            log.exception("sink %s crashed", sink.name)
            return Delivery(sink.name, False, attempt, error)
        if attempt < retries:
            sleep(backoff * 2 ** (attempt - 1))
    return Delivery(sink.name, False, retries, error)


def deliver(sinks: list[Sink], alert: Alert, *, retries: int, backoff: float) -> list[Delivery]:
    """Deliver ``alert`` to every sink in parallel; each sink's failures and retries are its own."""
    if not sinks:
        return []
    with ThreadPoolExecutor(max_workers=len(sinks), thread_name_prefix="alert-sink") as pool:
        futures = [pool.submit(send_with_retries, s, alert, retries=retries, backoff=backoff) for s in sinks]
        return [f.result() for f in futures]

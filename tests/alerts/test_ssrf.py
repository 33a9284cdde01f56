"""The webhook SSRF guard and URL redaction."""

from __future__ import annotations

import pytest

from cryptodesk.alerts.ssrf import check_url, redact
from cryptodesk.core.errors import ConfigError


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_private_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_url(url, allow_private=False, parameter="sink.h.url")
    assert info.value.parameter == "sink.h.url"
    assert "/hook" not in str(info.value)  # the path (often a secret) never appears


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/x"])
def test_private_targets_allowed_when_configured(url: str) -> None:
    check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://8.8.8.8:8443/x"])
def test_public_addresses_pass(url: str) -> None:
    check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x", "javascript:alert(1)", "http://", "not a url"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(ConfigError, match="http"):
        check_url(url, allow_private=True)


def test_credentials_in_url_refused() -> None:
    with pytest.raises(ConfigError, match="credentials"):
        check_url("https://user:pw@93.184.216.34/x", allow_private=True)


def test_redact_keeps_only_scheme_host_port() -> None:
    assert redact("https://hooks.slack.com/services/T0/B0/SECRET?x=1") == "https://hooks.slack.com/…"
    assert redact("http://127.0.0.1:9000/hook/token") == "http://127.0.0.1:9000/…"

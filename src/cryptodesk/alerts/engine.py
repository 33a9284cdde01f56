"""The alert engine: events in, each (rule, event) fired at most once, cooldowns honoured, sinks called.

::

    engine = AlertEngine(config, AlertHistory(history_path(db)))
    fired = engine.process(desk.detect(as_of))

A firing is recorded in the history BEFORE delivery (at most once, even if the
process dies mid-delivery); delivery outcomes are recorded per sink.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptodesk.alerts.history import AlertHistory
from cryptodesk.alerts.match import describe, event_key, matches
from cryptodesk.alerts.rules import AlertsConfig, Rule
from cryptodesk.alerts.sinks import Alert, Delivery, Sink, build_sink, deliver
from cryptodesk.core.models import Event
from cryptodesk.core.timeutil import utc_now


@dataclass(frozen=True)
class Fired:
    """An alert that fired and what happened at each sink (empty in a dry run)."""

    alert: Alert
    deliveries: tuple[Delivery, ...] = field(default_factory=tuple)


class AlertEngine:
    """Matches events against rules and delivers the alerts."""

    def __init__(
        self,
        config: AlertsConfig,
        history: AlertHistory,
        *,
        sinks: dict[str, Sink] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.history = history
        self.clock = clock
        allow = config.allow_private_webhooks
        self.sinks = (
            sinks if sinks is not None else {n: build_sink(c, allow_private=allow) for n, c in config.sinks.items()}
        )

    def _cooling(self, rule: Rule, event: Event) -> bool:
        if rule.cooldown_hours <= 0:
            return False
        last = self.history.last_fired(rule.name, event.subject)
        return last is not None and event.time - last < timedelta(hours=rule.cooldown_hours)

    def select(self, events: Iterable[Event], *, rules: Iterable[Rule] | None = None) -> list[Alert]:
        """Record and return the alerts ``events`` fire (deduplicated, cooldowns applied), oldest event first."""
        out: list[Alert] = []
        ordered = sorted(events, key=lambda e: (e.time, -e.score))
        for rule in rules if rules is not None else self.config.rules:
            for event in ordered:
                if not matches(rule, event):
                    continue
                key = event_key(event)
                if self.history.fired(rule.name, key) or self._cooling(rule, event):
                    continue
                text = describe(event)
                now = self.clock()
                if self.history.record_fired(
                    rule.name, key, subject=event.subject, event_time=event.time, text=text, at=now
                ):
                    out.append(Alert(rule.name, key, event.subject, text, event, now))
        out.sort(key=lambda a: a.event.time)
        return out

    def process(self, events: Iterable[Event], *, dry_run: bool = False) -> list[Fired]:
        """Select the alerts and (unless ``dry_run``) deliver each to its rule's sinks."""
        fired: list[Fired] = []
        rules = {r.name: r for r in self.config.rules}
        for alert in self.select(events):
            if dry_run:
                fired.append(Fired(alert))
                continue
            sinks = [self.sinks[name] for name in rules[alert.rule].sinks]
            results = deliver(sinks, alert, retries=self.config.retries, backoff=self.config.backoff_seconds)
            for d in results:
                self.history.record_delivery(
                    alert.rule, alert.key, d.sink, ok=d.ok, attempts=d.attempts, error=d.error, at=self.clock()
                )
            fired.append(Fired(alert, tuple(results)))
        return fired

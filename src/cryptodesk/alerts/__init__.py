"""Alerts: rules over detected events, delivered once each to webhooks, email and logs."""

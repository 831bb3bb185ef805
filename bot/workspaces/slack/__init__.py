"""Slack surface: store threads, draft cards and modals rendered with Block Kit."""

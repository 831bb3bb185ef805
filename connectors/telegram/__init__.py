"""Telegram store bots: many customer-facing bots (one per store channel) in one process."""

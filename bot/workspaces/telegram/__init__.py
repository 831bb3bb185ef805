"""The team's Telegram: a forum supergroup with a topic per store (python-telegram-bot)."""

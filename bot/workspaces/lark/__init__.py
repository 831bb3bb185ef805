"""The team's Lark / Feishu: a group per store, a thread per conversation, card buttons."""

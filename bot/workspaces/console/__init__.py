"""The built-in web console: a channel per store, a thread per conversation."""

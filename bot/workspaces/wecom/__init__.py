"""The team's WeCom (企业微信): a self-built app, an app group chat per store, button cards."""

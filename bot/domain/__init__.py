"""The domain: entities and policies of Storedesk, with no I/O and no SDK imports."""

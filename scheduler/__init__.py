"""In-process scheduling: digests (metrics, charts, delivery) under one elected leader."""

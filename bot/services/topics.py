"""Names of outbox topics, shared by the services that enqueue and the worker that delivers."""

DRAFT = "pipeline.draft"
CUSTOMER_SEND = "customer.send"
MIRROR = "workspace.mirror"
SUMMARIZE = "conversation.summarize"
ASSIST_RELEASE = "assist.release"

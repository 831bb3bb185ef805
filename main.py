"""Composition root: read config, choose implementations, start server, workers and CLI."""

from __future__ import annotations

import os

# LanceDB's native layer logs notices (first-run dataset creation) to stderr otherwise.
os.environ.setdefault("LANCEDB_LOG", "error")

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from threadpoolctl import threadpool_limits

from bot import cli_customer, cli_members, cli_rollout, cli_triage, evidence_cli, pii_logging
from bot.ai.wiring import (
    build_drafter,
    build_index_embedder,
    build_summarizer,
    build_triager,
    faq_of,
    store_from,
)
from bot.bootstrap import Core, bootstrap
from bot.clock import SystemClock
from bot.config import (
    ChannelConfig,
    ConfigError,
    LookupConfig,
    Settings,
    StoreConfig,
    load_settings,
)
from bot.domain.model import ChannelAccount
from bot.domain.permissions import Grant, Member, ScopeKind, effective_roles
from bot.http import create_app
from bot.ports import Clock, CustomerChannel, Drafter, Lookup
from bot.routing_config import routing_policy, sla_policies
from bot.services import topics
from bot.services.assist_hold import DEFAULT_HOLD_SECONDS
from bot.services.outbox_worker import TopicHandler, WorkerSettings
from bot.services.rate_limit import RateLimiter
from bot.services.retry_policy import RetryPolicy
from bot.workspaces.console.auth import ConsoleAuth
from bot.workspaces.console.digest_routes import console_digest_routes
from bot.workspaces.console.knowledge_routes import knowledge_routes
from bot.workspaces.console.members_routes import members_routes
from bot.workspaces.console.metrics_routes import console_metrics_routes
from bot.workspaces.console.review_routes import review_routes
from bot.workspaces.console.routes import console_routes
from bot.workspaces.lark.wiring import LarkWiring
from bot.workspaces.mirror_router import MirrorRouter
from bot.workspaces.wecom.wiring import WeComWiring
from connectors.email import EmailAccount
from connectors.email.imap_poller import MailboxPoller
from connectors.email.intake import EmailIntake
from connectors.email.sender import EmailSender
from connectors.lookups.cache import CachedLookup, FallbackLookup
from connectors.lookups.csv_file import CsvLookup
from connectors.lookups.http_json import HttpJsonLookup
from connectors.shopify.admin import ShopifyAdminLookup
from connectors.shopify.known_orders import KnownOrdersLookup
from connectors.shopify.webhooks import shopify_webhook_routes
from connectors.telegram.accounts import telegram_accounts, telegram_settings
from connectors.webchat import WebchatAccount
from connectors.webchat.channel import WebchatChannel
from connectors.webchat.routes import webchat_routes
from connectors.webhook import WebhookAccount
from connectors.webhook.demo_marketplace import demo_marketplace_routes
from connectors.webhook.routes import webhook_routes
from connectors.webhook.sender import WebhookSender
from connectors.whatsapp import WhatsAppAccount
from connectors.whatsapp.routes import whatsapp_routes
from connectors.whatsapp.sender import WhatsAppSender
from knowledge import cli as knowledge_cli
from knowledge.batching import BatchingEmbedder
from knowledge.catalog import cli as catalog_cli
from knowledge.catalog.wiring import build_sales
from knowledge.embeddings import Embedder, LocalEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.service import KnowledgeBase
from scheduler import cli as digest_cli
from scheduler.jobs import maintenance_jobs
from scheduler.service import DigestScheduler
from scheduler.sla import SlaTimerLoop
from scheduler.wiring import build_digest_scheduler
from storage import migrate
from storage.audit import verify_chains
from storage.change_feed import ChangeFeed
from storage.channel_rows import email_thread_of, whatsapp_last_inbound
from storage.database import Database, open_database
from storage.directory import Directory, sync_articles, sync_directory
from storage.uow import unit_of_work_factory

if TYPE_CHECKING:  # the platform SDKs load only when configured (see the builders below)
    from bot.workspaces.slack.wiring import SlackWiring
    from bot.workspaces.telegram.wiring import TelegramTeamWiring
    from connectors.telegram.wiring import TelegramStoreBots

logger = logging.getLogger("storedesk")

DEFAULT_CONFIG = "storedesk.toml"
CONFIG_ENV = "STOREDESK_CONFIG"


# --- translating config into domain objects --------------------------------------------------


def directory_from(settings: Settings) -> Directory:
    stores = [store_from(s) for s in settings.stores]
    accounts = [
        ChannelAccount(id=c.id, store_id=s.id, kind=c.kind)
        for s in settings.stores
        for c in s.channels
    ]
    grants = [
        *(Grant(m.id, ScopeKind.ORGANIZATION, "", m.role) for m in settings.members if m.role),
        *(
            Grant(member_id, ScopeKind.CLIENT, client.id, role)
            for client in settings.clients
            for member_id, role in client.members.items()
        ),
        *(
            Grant(member_id, ScopeKind.STORE, store.id, role)
            for store in settings.stores
            for member_id, role in store.members.items()
        ),
    ]
    named_clients = {c.id: c.name for c in settings.clients}
    for store in settings.stores:  # a client only named by its stores is still a client
        if store.client is not None:
            named_clients.setdefault(store.client, store.client)
    return Directory(
        stores=stores,
        accounts=accounts,
        members=[Member(id=m.id, name=m.name) for m in settings.members],
        grants=grants,
        clients=sorted(named_clients.items()),
        identities=member_identities_from(settings),
    )


def member_identities_from(settings: Settings) -> list[tuple[str, str, str]]:
    """Workspace identities the config names, so any surface can find the member."""
    found: list[tuple[str, str, str]] = []
    for m in settings.members:
        if m.email:
            found.append((m.id, "email", m.email.lower()))
        if m.slack_user_id:
            found.append((m.id, "slack", m.slack_user_id))
        if m.telegram_user_id:
            found.append((m.id, "telegram", str(m.telegram_user_id)))
    return found


def articles_from(settings: Settings) -> list:  # type: ignore[type-arg]
    return [article for store in settings.stores for article in faq_of(store)]


def whatsapp_account_from(store: StoreConfig, channel: ChannelConfig) -> WhatsAppAccount:
    wa = channel.whatsapp
    assert wa is not None  # the config validator requires the section for this kind
    return WhatsAppAccount(
        channel.id,
        store.id,
        app_secret=channel.resolve_secret(),
        verify_token=wa.verify_token(),
        access_token=wa.access_token(),
        phone_number_id=wa.phone_number_id,
        api_url=wa.api_url,
        template=wa.template,
        template_language=wa.template_language,
        timeout_seconds=wa.timeout_seconds,
    )


def email_account_from(store: StoreConfig, channel: ChannelConfig) -> EmailAccount:
    mail = channel.email
    assert mail is not None  # the config validator requires the section for this kind
    return EmailAccount(
        channel.id,
        store.id,
        address=mail.address,
        display_name=mail.display_name or store.name,
        username=mail.username or mail.address,
        password=mail.resolve_password(),
        imap_host=mail.imap_host,
        imap_port=mail.imap_port,
        imap_tls=mail.imap_tls,
        mailbox=mail.mailbox,
        smtp_host=mail.smtp_host,
        smtp_port=mail.smtp_port,
        smtp_security=mail.smtp_security,
        poll_seconds=mail.poll_seconds,
        timeout_seconds=mail.timeout_seconds,
        idle=mail.idle,
        idle_seconds=mail.idle_seconds,
    )


def lookup_from(config: LookupConfig, http: aiohttp.ClientSession, db: Database) -> Lookup:
    """A store's read-only back office, behind a short per-order cache. A Shopify store
    without an Admin API token answers from the orders its webhooks taught us; with one,
    those are the fallback when the Admin API fails."""
    token = config.token()
    inner: Lookup
    if config.kind == "csv":
        inner = CsvLookup(Path(config.path or ""))
    elif config.kind == "shopify":
        inner = KnownOrdersLookup(db)
        if token:
            admin = ShopifyAdminLookup(
                http,
                base_url=config.base_url or "",
                access_token=token,
                api_version=config.api_version,
                timeout=config.timeout_seconds,
            )
            inner = FallbackLookup(admin, inner)
    else:
        inner = HttpJsonLookup(
            http,
            order_url=config.order_url,
            email_url=config.email_url,
            headers={config.auth_header: config.auth_prefix + token} if token else {},
            fields=config.fields,
            result_path=config.result_path,
            timeout=config.timeout_seconds,
        )
    return CachedLookup(inner, config.cache_seconds)


def member_tokens(settings: Settings) -> dict[str, str]:
    return {m.id: os.environ.get(m.token_env, "") for m in settings.members if m.token_env}


def _telegram_store_bots(
    settings: Settings, db: Database, clock: Clock
) -> TelegramStoreBots | None:
    """aiogram's models take about 120 MB: they load only when a store has a Telegram bot."""
    if not telegram_accounts(settings):
        return None
    from connectors.telegram.wiring import TelegramStoreBots

    return TelegramStoreBots.build(settings, db, clock)


def _telegram_team(settings: Settings, db: Database, clock: Clock) -> TelegramTeamWiring | None:
    """python-telegram-bot loads only when the team works in Telegram."""
    if telegram_settings(settings).team_bot_token_env is None:
        return None
    from bot.workspaces.telegram.wiring import TelegramTeamWiring

    return TelegramTeamWiring.build(settings, db, clock)


def _slack(settings: Settings, db: Database, clock: Clock) -> SlackWiring | None:
    """slack-bolt loads only when a Slack workspace is configured."""
    if settings.slack is None:
        return None
    from bot.workspaces.slack.wiring import SlackWiring

    return SlackWiring.build(settings, db, clock)


def _data_dir(settings: Settings) -> Path:
    path = Path(settings.storage.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(settings: Settings, data_dir: Path) -> bytes:
    """From the environment, or generated once and kept in the data directory."""
    from_env = os.environ.get(settings.console.secret_key_env)
    if from_env:
        return from_env.encode()
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


# --- the running application ------------------------------------------------------------------


@dataclass
class RunningApp:
    settings: Settings
    db: Database
    core: Core
    base_url: str
    auth: ConsoleAuth
    stop_event: asyncio.Event
    _runner: web.AppRunner
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _http: aiohttp.ClientSession | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    digests: DigestScheduler | None = None
    sla_timers: SlaTimerLoop | None = None

    def sign_in_links(self) -> list[tuple[str, str, str]]:
        links = []
        grants = directory_from(self.settings).all_grants()
        stores = {store.id: store.client for store in self.settings.stores}
        names = {store.id: store.name for store in self.settings.stores}
        for member in self.settings.members:
            held = effective_roles([g for g in grants if g.member_id == member.id], stores)
            roles = ", ".join(f"{role.value} in {names[sid]}" for sid, role in held.items())
            code = self.auth.sign_in_code(member.id)
            link = f"{self.base_url}/console/signin?member={member.id}&code={code}"
            links.append((member.name, roles or "no store", link))
        return links

    async def stop(self) -> None:
        self.stop_event.set()
        await self._runner.cleanup()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        for close in self._closers:
            await close()
        await self.db.dispose()


async def start_app(
    settings: Settings,
    *,
    port: int | None = None,
    clock: Clock | None = None,
    embedder: Embedder | None = None,
    drafter: Drafter | None = None,
    retry_policy: RetryPolicy | None = None,
    worker_settings: WorkerSettings | None = None,
    run_worker: bool = True,
    run_scheduler: bool = True,
    progress: Callable[[str], None] = lambda _line: None,
) -> RunningApp:
    clock = clock or SystemClock()
    data_dir = _data_dir(settings)
    # Every matrix here is request-sized; idle OpenBLAS threads would spin on the loop's core.
    threadpool_limits(limits=1, user_api="blas")
    progress("opening the database and applying migrations")
    db = open_database(settings.database_url)
    await migrate.upgrade(db)
    directory = directory_from(settings)
    async with db.write_sessions() as session, session.begin():
        await sync_directory(session, directory)
        articles = await sync_articles(session, articles_from(settings), clock.now())

    progress(f"indexing {len(articles)} knowledge articles")
    # Concurrent drafts share model calls: one call costs about as much as sixteen.
    embedder = BatchingEmbedder(embedder or LocalEmbedder(table_dir=data_dir / "models"))
    index_embedder = build_index_embedder(settings, embedder)
    if index_embedder is not embedder:  # a remote model: batch its calls too
        index_embedder = BatchingEmbedder(index_embedder)
    retriever = KnowledgeIndex(data_dir / "knowledge.lance", index_embedder)
    embedded = await retriever.sync(articles)
    progress(f"knowledge index ready ({embedded} embedded, {len(articles) - embedded} unchanged)")
    drafter = drafter or build_drafter(settings)

    webhook_accounts: dict[str, WebhookAccount] = {}
    webchat_by_store: dict[str, WebchatAccount] = {}
    whatsapp_accounts: dict[str, WhatsAppAccount] = {}
    email_accounts: dict[str, EmailAccount] = {}
    for store in settings.stores:
        for channel in store.channels:
            if channel.kind == "webhook":
                webhook_accounts[channel.id] = WebhookAccount(
                    channel.id, store.id, channel.resolve_secret(), channel.callback_url or ""
                )
            elif channel.kind == "webchat":
                webchat_by_store.setdefault(
                    store.id, WebchatAccount(channel.id, store.id, store.name)
                )
            elif channel.kind == "whatsapp":
                whatsapp_accounts[channel.id] = whatsapp_account_from(store, channel)
            elif channel.kind == "email":
                email_accounts[channel.id] = email_account_from(store, channel)

    http = aiohttp.ClientSession()
    webhook = WebhookSender(webhook_accounts, http)
    channels: dict[str, CustomerChannel] = {account_id: webhook for account_id in webhook_accounts}
    webchat = WebchatChannel()
    channels.update({account.id: webchat for account in webchat_by_store.values()})
    whatsapp = WhatsAppSender(whatsapp_accounts, http, partial(whatsapp_last_inbound, db), clock)
    channels.update({account_id: whatsapp for account_id in whatsapp_accounts})
    email = EmailSender(email_accounts, partial(email_thread_of, db))
    channels.update({account_id: email for account_id in email_accounts})
    lookups = {
        s.id: lookup_from(s.lookup, http, db) for s in settings.stores if s.lookup is not None
    }
    shopify_secrets = {
        s.id: secret
        for s in settings.stores
        if s.lookup is not None
        and s.lookup.kind == "shopify"
        and (secret := s.lookup.resolve_webhook_secret())
    }

    store_bots = _telegram_store_bots(settings, db, clock)
    if store_bots is not None:
        channels.update({account_id: store_bots.channel for account_id in store_bots.accounts})

    feed = ChangeFeed(db)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    outbox = settings.outbox
    slack = _slack(settings, db, clock)
    team_telegram = _telegram_team(settings, db, clock)
    mirrors: dict[str, TopicHandler] = {}
    if slack is not None:
        mirrors.update({"slack": slack.mirror, "slack-client": slack.mirror})
    if team_telegram is not None:
        mirrors["telegram"] = team_telegram.mirror
    lark = LarkWiring.build(settings, db, clock)
    if lark is not None:
        mirrors["lark"] = lark.mirror
    wecom = WeComWiring.build(settings, db, clock)
    if wecom is not None:
        mirrors["wecom"] = wecom.mirror

    def mirror_targets(store_id: str) -> tuple[str, ...]:
        return (
            (slack.targets(store_id) if slack else ())
            + (team_telegram.targets(store_id) if team_telegram else ())
            + (lark.targets(store_id) if lark else ())
            + (wecom.targets(store_id) if wecom else ())
        )

    holds = {s.id: s.risk.assist_hold_seconds for s in settings.stores}
    uow_factory = unit_of_work_factory(db, clock, outbox.max_attempts, mirror_targets)
    progress("indexing the product catalogue")
    sales = await build_sales(settings, db, clock, embedder, uow_factory)
    slas = sla_policies(settings.stores)
    core = bootstrap(
        uow_factory=uow_factory,
        clock=clock,
        retriever=retriever,
        drafter=drafter,
        channel_for=channels.get,
        worker_id=worker_id,
        listeners=[feed.notify],
        limiter=RateLimiter(outbox.rate_per_second, outbox.burst),
        retry_policy=retry_policy
        or RetryPolicy(outbox.base_backoff_seconds, outbox.max_backoff_seconds),
        worker_settings=worker_settings or WorkerSettings(lease_seconds=outbox.lease_seconds),
        topic_handlers={topics.MIRROR: MirrorRouter(mirrors)} if mirrors else None,
        lookup_for=lookups.get,
        triager=build_triager(settings, embedder, db),
        summarizer=build_summarizer(settings, embedder),
        summary_after=settings.summaries.after_customer_messages,
        assist_hold_for=lambda store_id: holds.get(store_id, DEFAULT_HOLD_SECONDS),
        recommender=sales.recommender,
        routing=routing_policy(
            settings.teams,
            {m.id: (m.languages, m.skills) for m in settings.members},
            settings.stores,
        ),
        sla_policies=slas,
    )

    stop_event = asyncio.Event()
    knowledge_base = KnowledgeBase(
        db, retriever, clock, uow_factory, listeners=[feed.notify, lambda _e: core.worker.wake()]
    )
    auth = ConsoleAuth(
        secret_key(settings, data_dir),
        member_tokens(settings),
        settings.console.session_hours * 3600,
    )
    secure = bool(settings.server.public_url and settings.server.public_url.startswith("https"))
    contributors = [
        webhook_routes(
            core.bus,
            webhook_accounts,
            on_order=sales.on_order,
            order_clock=clock.now,
            tracking_param=sales.tracking_param,
        ),
        webchat_routes(core.bus, db, feed, webchat_by_store, stop_event),
        whatsapp_routes(core.bus, db, whatsapp_accounts),
        shopify_webhook_routes(db, shopify_secrets, clock, sales.shopify_events),
        console_routes(core.bus, db, feed, auth, stop_event, secure_cookies=secure),
        knowledge_routes(knowledge_base, db, auth),
        console_metrics_routes(db, auth, clock, embedder),
        members_routes(core.bus, db, auth, secure_cookies=secure),
        review_routes(db, auth, clock, embedder, slas),
        console_digest_routes(db, auth, clock),
    ]
    if settings.console.demo_sign_in:
        contributors.append(demo_marketplace_routes(webhook_accounts))
    if slack is not None:
        slack_app = slack.bolt_app(core.bus, db, clock, knowledge_base)
        if slack.app_token is None:
            contributors.append(slack.http_routes(slack_app))
    closers: list[Callable[[], Awaitable[None]]] = []
    if store_bots is not None:
        store_bots.attach(settings, core.bus, db, clock)
        contributors.append(store_bots.routes())
        closers.append(store_bots.close)
    if team_telegram is not None:
        await team_telegram.start(settings, core.bus, db, clock, knowledge_base)
        contributors.append(team_telegram.routes())
        closers.append(team_telegram.close)
    if lark is not None:
        contributors.append(lark.routes(core.bus, db, clock))
        closers.append(lark.close)
    if wecom is not None:
        contributors.append(wecom.routes(settings, core.bus, db, clock))
        closers.append(wecom.close)
    app = create_app(contributors)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.server.host, settings.server.port if port is None else port)
    await site.start()
    bound = runner.addresses[0]
    base_url = settings.server.public_url or f"http://{bound[0]}:{bound[1]}"

    tasks = [asyncio.create_task(feed.run(stop_event), name="change-feed")]
    for account in email_accounts.values():
        poller = MailboxPoller(account, EmailIntake(account, core.bus, db, clock))
        tasks.append(asyncio.create_task(poller.run(stop_event), name=f"mailbox-{account.id}"))
    if slack is not None and slack.app_token is not None:
        tasks.append(
            asyncio.create_task(slack.run_socket_mode(slack_app, stop_event), name="slack-socket")
        )
    if run_worker:
        tasks.append(asyncio.create_task(core.worker.run(stop_event), name="outbox-worker"))
    if store_bots is not None:
        await store_bots.set_webhooks()
        tasks.extend(store_bots.polling_tasks(stop_event))
    if team_telegram is not None and (poller := team_telegram.polling_task(stop_event)):
        tasks.append(poller)
    digests = None
    if run_scheduler and settings.scheduler.enabled:
        digests = build_digest_scheduler(
            settings,
            db,
            clock,
            worker_id=worker_id,
            embedder=embedder,
            slack_target=slack.digest_target if slack is not None else None,
            telegram_bot=team_telegram.application.bot if team_telegram is not None else None,
            jobs=maintenance_jobs(settings.scheduler, knowledge_base),
        )
        tasks.append(asyncio.create_task(digests.run(stop_event), name="digest-scheduler"))
    sla_timers = None
    if digests is not None and slas:  # on the scheduler's leader only
        leader = digests
        sla_timers = SlaTimerLoop(
            lambda: leader.is_leader,
            db,
            core.bus,
            clock,
            slas,
            interval_seconds=settings.scheduler.sla_interval_seconds,
        )
        tasks.append(asyncio.create_task(sla_timers.run(stop_event), name="sla-timers"))
    return RunningApp(
        settings,
        db,
        core,
        base_url.rstrip("/"),
        auth,
        stop_event,
        runner,
        tasks,
        http,
        closers,
        digests,
        sla_timers,
    )


# --- command line -------------------------------------------------------------------------------


def _say(line: str) -> None:
    print(line, flush=True)


async def _serve(settings: Settings) -> int:
    running = await start_app(settings, progress=lambda line: _say(f"… {line}"))
    base = running.base_url
    _say(f"\nStoredesk is running at {base}")
    _say(f"  Team console:  {base}/console")
    for store in settings.stores:
        if any(c.kind == "webchat" for c in store.channels):
            _say(f"  Web chat ({store.name}):  {base}/chat/{store.id}")
    if settings.console.demo_sign_in:
        _say(f"  Demo marketplace (signed webhook replies land here):  {base}/demo/marketplace")
        _say("\nDemo sign-in links (each opens the console as that person):")
        for name, roles, link in running.sign_in_links():
            _say(f"  {name} ({roles}):\n    {link}")
    _say("\nPress Ctrl+C to stop.")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, running.stop_event.set)
    await running.stop_event.wait()
    _say("stopping…")
    await running.stop()
    return 0


async def _verify_audit(settings: Settings) -> int:
    db = open_database(settings.database_url)
    try:
        async with db.read_sessions() as session:
            checked, problem = await verify_chains(session)
    finally:
        await db.dispose()
    if problem is not None:
        print(f"audit chain BROKEN after {checked} events: {problem}", file=sys.stderr)
        return 1
    print(f"audit chain intact: {checked} events verified")
    return 0


async def _upgrade_db(settings: Settings) -> int:
    db = open_database(settings.database_url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    print("database schema is up to date")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storedesk", description=__doc__)
    parser.add_argument(
        "--config",
        default=os.environ.get(CONFIG_ENV, DEFAULT_CONFIG),
        help=f"TOML config file (default: ${CONFIG_ENV} or {DEFAULT_CONFIG})",
    )
    parser.add_argument("--log-level", default=os.environ.get("STOREDESK_LOG_LEVEL", "WARNING"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the server, workers and console")
    sub.add_parser("check-config", help="validate the config file and exit")
    db = sub.add_parser("db", help="database maintenance")
    db.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="apply migrations"
    )
    audit = sub.add_parser("audit", help="evidence chain")
    audit.add_subparsers(dest="audit_command", required=True).add_parser(
        "verify", help="recompute every hash; exit 1 naming the first bad event"
    )
    evidence_cli.add_parser(sub)
    cli_customer.add_parser(sub)
    cli_triage.add_parser(sub)
    knowledge_cli.add_parser(sub)
    digest_cli.add_parser(sub)
    cli_members.add_parser(sub)
    cli_rollout.add_parser(sub)
    catalog_cli.add_parser(sub)
    return parser


def cli(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    pii_logging.install()
    if args.command in cli_triage.COMMANDS:
        return cli_triage.main(args)
    try:
        settings = load_settings(args.config)
    except ConfigError as problem:
        print(f"config error: {problem}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"{args.config}: OK ({len(settings.stores)} stores, {len(settings.members)} members)")
        return 0
    if args.command == "serve":
        return asyncio.run(_serve(settings))
    if args.command == "db":
        return asyncio.run(_upgrade_db(settings))
    if args.command == "evidence":
        return asyncio.run(evidence_cli.run(args, settings))
    if args.command == "customer":
        return asyncio.run(cli_customer.run(args, settings))
    if args.command == "knowledge":
        return asyncio.run(knowledge_cli.run(args, settings))
    if args.command == "digest":
        return asyncio.run(digest_cli.run(args, settings))
    if args.command == "members":
        return asyncio.run(cli_members.run(args, settings))
    if args.command == "rollout":
        return asyncio.run(cli_rollout.run(args, settings))
    if args.command == "catalog":
        return asyncio.run(catalog_cli.run(args, settings))
    return asyncio.run(_verify_audit(settings))


def run() -> None:
    sys.exit(cli(sys.argv[1:]))


if __name__ == "__main__":
    run()

"""Storedesk instances as real OS processes (`storedesk serve`), so they can be `kill -9`ed."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import tomli_w

from bot.config import Settings
from bot.workspaces.console.auth import ConsoleAuth

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "reliability-test-secret-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Instance:
    """One `storedesk serve` process on a fixed port; restarts come back on the same port."""

    def __init__(self, name: str, config: dict[str, Any], workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        config = {**config, "server": {**config["server"], "port": self.port}}
        self.settings = Settings.model_validate(config)
        self.config_path = workdir / f"{name}.toml"
        self.config_path.write_text(tomli_w.dumps(config))
        self.log_path = workdir / f"{name}.log"
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.auth = ConsoleAuth(SECRET_KEY.encode(), {}, 3600)
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _spawn(self) -> None:
        """Popen returns at once (the child starts on its own), so this never blocks long."""
        env = {**os.environ, "STOREDESK_SECRET_KEY": SECRET_KEY, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "main", "--config", str(self.config_path), "serve"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    async def start(self, within: float = 90.0) -> None:
        self._spawn()
        await self._wait_ready(within)

    async def _wait_ready(self, within: float) -> None:
        deadline = asyncio.get_running_loop().time() + within
        async with aiohttp.ClientSession() as http:
            while asyncio.get_running_loop().time() < deadline:
                if not self.alive:
                    raise AssertionError(f"{self.name} exited at start:\n{self.log_tail()}")
                try:
                    async with http.get(f"{self.base_url}/console") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not ready within {within}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crashed host."""
        if self._process is not None and self.alive:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is not None and self.alive:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Reviewer:
    """A lead approving drafts through the console API of whichever instance is up."""

    def __init__(self, member_id: str) -> None:
        self.member_id = member_id
        self._sessions: dict[str, tuple[aiohttp.ClientSession, str]] = {}

    async def _session_for(self, instance: Instance) -> tuple[aiohttp.ClientSession, str]:
        key = f"{instance.name}:{instance.starts}"
        if key not in self._sessions:
            http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            code = instance.auth.sign_in_code(self.member_id)
            url = f"{instance.base_url}/console/signin?member={self.member_id}&code={code}"
            async with http.get(url, allow_redirects=False) as response:
                assert response.status == 303, await response.text()
            async with http.get(f"{instance.base_url}/api/me") as response:
                csrf = (await response.json())["csrf_token"]
            self._sessions[key] = (http, csrf)
        return self._sessions[key]

    async def approve(self, instance: Instance, draft_id: str) -> int:
        http, csrf = await self._session_for(instance)
        async with http.post(
            f"{instance.base_url}/api/drafts/{draft_id}/approve",
            json={},
            headers={"X-CSRF-Token": csrf},
            timeout=aiohttp.ClientTimeout(total=15),
        ) as response:
            return response.status

    async def close(self) -> None:
        for http, _csrf in self._sessions.values():
            await http.close()

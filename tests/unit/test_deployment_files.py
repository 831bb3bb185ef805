"""The production files stay in step with the code (no Docker daemon needed to check them)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from bot.config import load_settings

REPO = Path(__file__).resolve().parents[2]


def test_the_image_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    found = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {name.rstrip("*") for name in found}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (REPO / "Dockerfile").read_text(), re.M))
    assert packages <= copied


def test_compose_runs_two_instances_on_one_postgres_with_one_secret() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    apps = {name: s for name, s in compose["services"].items() if name.startswith("app-")}
    assert len(apps) >= 2
    urls = {s["environment"]["STOREDESK_DATABASE_URL"] for s in apps.values()}
    assert len(urls) == 1
    assert next(iter(urls)).startswith("postgresql+asyncpg://")
    assert len({s["environment"]["STOREDESK_SECRET_KEY"] for s in apps.values()}) == 1
    data_volumes = [v for s in apps.values() for v in s["volumes"] if v.endswith(":/data")]
    assert len(set(data_volumes)) == len(apps)  # each instance its own LanceDB copy
    assert all(s["depends_on"]["postgres"]["condition"] == "service_healthy" for s in apps.values())


def test_the_config_template_the_compose_file_mounts_is_valid(monkeypatch) -> None:
    monkeypatch.setenv("MY_STORE_MARKETPLACE_SECRET", "from-the-environment")
    settings = load_settings(REPO / "storedesk.toml")
    assert settings.server.host == "0.0.0.0"

"""The registration point of the leader's periodic jobs: one line per job.

SLA timers and data retention join here as `MaintenanceJob(name, every_seconds, run)`;
`main.py` passes the list to the scheduler, which runs it only while this instance leads.
"""

from __future__ import annotations

from bot.digest_config import SchedulerConfig
from knowledge.service import KnowledgeBase
from scheduler.maintenance import MaintenanceJob


def maintenance_jobs(config: SchedulerConfig, knowledge: KnowledgeBase) -> list[MaintenanceJob]:
    return [
        MaintenanceJob(
            "knowledge-expiry", config.knowledge_expiry_seconds, knowledge.retire_expired
        ),
    ]

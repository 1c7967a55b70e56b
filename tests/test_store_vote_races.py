"""Votes from several bot processes on one PostgreSQL database at the same instant.

A vote is a read and a write: it inserts the voter's option and deletes the options it contradicts ("fixed it"
and "none of these fixed it"). Each process orders its own writes, but two processes' transactions run side by
side, and under PostgreSQL's READ COMMITTED neither sees the other's uncommitted row: one person's "Fixed it: 1"
handled by one process and "None worked" by another would each find nothing to replace, and both would count.
Here two stores (two processes' worth: each its own pool and write lock) vote on one real server.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.feedback.rates import Tally
from bot.feedback.votes import NONE_FIXED, workaround_option
from bot.store import Store, StoredReply

from .postgres import PostgresServer

pytestmark = pytest.mark.postgres

CLIP = "clip-gradients"  # the one workaround the reply shows
FIXED = workaround_option(CLIP)
PEOPLE = 100  # each votes twice at once, once through each process: enough for the two to overlap


def reply(message_id: int = 100) -> StoredReply:
    return StoredReply(message_id, 10, 1, message_id + 1, 7, "demo/loss-nan", (CLIP,), 0.9, "high")


@pytest.fixture
def url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database()


async def test_one_persons_contradicting_votes_through_two_processes_at_once_leave_one(url: str) -> None:
    async with Store(url) as first, Store(url) as second:
        await first.record_reply(reply())
        pairs = [(first.add_vote(100, user, FIXED), second.add_vote(100, user, NONE_FIXED)) for user in range(PEOPLE)]
        await asyncio.gather(*(vote for pair in pairs for vote in pair))
        kept = {user: await first.votes_of(100, user) for user in range(PEOPLE)}
        both = sorted(user for user, votes in kept.items() if len(votes) != 1)
        assert both == [], f"{len(both)} of {PEOPLE} people count both for and against the workaround"
        tally = (await first.feedback("demo/loss-nan")).tallies[CLIP]
        assert tally.fixed + tally.failed == PEOPLE  # one report per person


async def test_different_peoples_votes_through_two_processes_at_once_all_count(url: str) -> None:
    async with Store(url) as first, Store(url) as second:
        await first.record_reply(reply())
        votes = [
            (first if user % 2 else second).add_vote(100, user, FIXED if user % 3 else NONE_FIXED)
            for user in range(PEOPLE)
        ]
        assert all(await asyncio.gather(*votes))
        fixed = sum(1 for user in range(PEOPLE) if user % 3)
        assert (await second.feedback("demo/loss-nan")).tallies[CLIP] == Tally(fixed, PEOPLE - fixed)

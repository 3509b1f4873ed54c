"""Soak of the money path: randomised orders and renewals under faults and ``kill -9``.

    .venv/bin/python bench/money_soak.py [--confirmations 1000] [--customers 15] [--seed 1]
        [--realistic] [--store sqlite|postgres [--replicas 2]]

The real ``python -m bot run`` (Telegram by long polling against the fake Bot
API; a real SQLite file, or with ``--store postgres`` a fresh PostgreSQL
database at ``TEST_POSTGRES_URL`` with Redis at ``TEST_REDIS_URL`` for locks and
budgets, states sealed with a key, as replicas run) talks to the emulator on
127.0.0.1 with a 1 s client timeout; with ``--realistic`` the emulator varies
its replies as real APIs do. With ``--replicas`` several bot processes share
the store and Telegram delivers by webhook through a round-robin proxy (as
``deploy/compose.yaml`` runs them); each kill takes one of them.
While customers order and renew, the harness keeps changing the emulator's
faults on the two money paths (dropped replies, replies later than
the timeout, 503s, garbled replies), presses some Confirm buttons twice,
re-delivers some presses, and kills the bot with SIGKILL every so often,
starting it again on the same database.

Every customer orders in a direction of their own and confirms one thing at a
time, waiting for a final outcome before the next, so every charge the
emulator records belongs to exactly one confirmation. At the end it prints:

* confirmations, charges, and the confirmations charged 0, 1 or more times
  (only 0 or 1 is allowed);
* customers told a wrong outcome (told "yours"/"renewed" without a charge,
  or "not charged" with one): must be 0;
* customers never told a final outcome: must be 0;
* owners overwritten (a number paid for by one customer owned by another, or
  by nobody, in the bot's records): must be 0.

Exit status 1 when any of the must-be-zero figures is not zero.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from order_flow import free_port  # noqa: E402
from replicas import WEBHOOK_PATH, WEBHOOK_SECRET, ParallelTelegram, round_robin  # noqa: E402

from bot.sandbox import Sandbox, SandboxConfig  # noqa: E402
from tests.e2e.replicas.support import fresh_database, fresh_prefix  # noqa: E402
from tests.e2e.service.support import ZADARMA_SECRET, Service, start_service  # noqa: E402
from tests.external import POSTGRES, REDIS  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, FakeUser, Injected  # noqa: E402

MONEY_PATHS = ["/v1/direct_numbers/order/", "/v1/direct_numbers/prolong/"]
CHARGED = (
    "is yours",
    "This order was already placed",
    "Checked with Zadarma: your order went through",
    "is reserved for you",
    "Charged:",
    "This renewal was already done",
    "is renewed, paid until",
)
NOT_CHARGED = (
    "Someone has just taken that number",
    "did not go through",
    "was taken before your order",
    "Zadarma refused",
    "Zadarma could not do this right now",
    "does not cover",
    "is being checked with Zadarma right now",
)
CONTESTED = ("records disagree",)
RECENT = 30
"""Messages looked at per check: a customer's confirmation and its outcome are always among the newest."""
MIN_PROGRESS = 3
"""Confirmations made between two kills at least (kills still come every 8-20 s when the machine keeps up)."""
ANY_FINAL = CHARGED + NOT_CHARGED + CONTESTED
# One direction per customer (no documents needed), so every charge has one customer.
DIRECTIONS = [
    ("PL", "Gdańsk"),
    ("US", "New York"),
    ("GB", "London"),
    ("NL", "Amsterdam"),
    ("PL", "Łódź"),
    ("US", "Los Angeles"),
    ("GB", "Manchester"),
    ("NL", "Rotterdam"),
    ("US", "Chicago"),
    ("GB", "Birmingham"),
    ("NL", "The Hague"),
    ("US", "Miami"),
    ("GB", "Edinburgh"),
    ("NL", "Utrecht"),
    ("US", "San Francisco"),
]


@dataclass
class Confirmation:
    """One press of a Confirm button (double presses and re-deliveries included in it)."""

    customer: int
    kind: str  # order | prolong
    number: str  # digits; for an order the number on the summary
    charges_before: int
    told: list[str] = field(default_factory=list)
    charges: int = 0
    calls_at: int = 0  # the fake Bot API's call log position when Confirm was pressed
    waited: float = 0.0  # seconds from the press to the final outcome told


@dataclass
class Soak:
    sandbox: Sandbox
    telegram: FakeTelegram
    env: dict[str, str]
    rng: random.Random
    target: int
    patience: float = 8.0
    """Seconds a customer waits for a step's answer before starting the walk again."""
    outcome_wait: float = 120.0
    """Seconds a customer waits for a confirmation's final outcome (longer: "never told")."""
    ports: list[int | None] = field(default_factory=lambda: [None])
    """One entry per bot process: its fixed HTTP port (replicas behind the proxy), or None (any port)."""
    services: dict[int, Service] = field(default_factory=dict)
    logs: list[Path] = field(default_factory=list)
    """Every bot process's log, in the order they started."""
    confirmations: list[Confirmation] = field(default_factory=list)
    kills: int = 0
    double_presses: int = 0
    redeliveries: int = 0
    users: dict[int, FakeUser] = field(default_factory=dict)
    up: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while customers can be served: with one bot, while it runs; with replicas, always."""
    stop: bool = False
    confirmed_at_start: int = 0

    # -- the bot processes ----------------------------------------------------------

    async def start(self, index: int = 0) -> None:
        self.confirmed_at_start = len(self.confirmations)
        for attempt in range(5):
            try:
                self.services[index] = await start_service(self.env, port=self.ports[index], within=60)
                self.logs.append(self.services[index].log)
                break
            except AssertionError:  # not healthy in time (a loaded machine): try again
                if attempt == 4:
                    raise
        self.up.set()

    async def start_all(self) -> None:
        await asyncio.gather(*(self.start(index) for index in range(len(self.ports))))

    async def stop_all(self) -> None:
        await asyncio.gather(*(service.stop() for service in self.services.values()))

    async def killer(self, every: tuple[float, float]) -> None:
        """Kill one bot process (``kill -9``) every so often and start it again on the same store."""
        while not self.stop:
            await asyncio.sleep(self.rng.uniform(*every))
            # On a loaded machine a restart can take longer than the interval: let the customers
            # confirm a few things between kills, or the soak makes no progress at all.
            while not self.stop and len(self.confirmations) < self.confirmed_at_start + MIN_PROGRESS:
                await asyncio.sleep(0.5)
            index = self.rng.randrange(len(self.ports))
            service = self.services.get(index)
            if self.stop or service is None:
                return
            if len(self.ports) == 1:
                self.up.clear()
            service.proc.send_signal(signal.SIGKILL)
            await service.proc.wait()
            self.kills += 1
            await asyncio.sleep(self.rng.uniform(0.1, 1.5))
            await self.start(index)

    async def progress(self) -> None:
        started = time.monotonic()
        while not self.stop:
            await asyncio.sleep(10)
            told = sum(1 for c in self.confirmations if c.told)
            print(
                f"  {time.monotonic() - started:5.0f} s: {len(self.confirmations)} confirmations, "
                f"{told} told, {len(self.sandbox.state.charges)} charges, {self.kills} kills",
                flush=True,
            )

    async def faults(self) -> None:
        while not self.stop:
            choice = self.rng.random()
            if choice < 0.3:
                self.sandbox.clear_faults()
            else:
                self.sandbox.set_faults(
                    latency_ms=self.rng.choice([0, 0, 300, 1500, 2500]),
                    error_rate=self.rng.choice([0.0, 0.1, 0.3]),
                    malformed_rate=self.rng.choice([0.0, 0.1, 0.3]),
                    drop_rate=self.rng.choice([0.0, 0.2, 0.5]),
                    paths=MONEY_PATHS,
                )
            await asyncio.sleep(self.rng.uniform(1.0, 4.0))
        self.sandbox.clear_faults()

    # -- a customer -----------------------------------------------------------------

    async def step(self, user: FakeUser, inject: object) -> str | None:
        """Inject an update (a callable) and wait for the bot's menu to change; None if it did not."""
        await self.up.wait()
        before = [(m.message_id, m.text) for m in self.telegram.bot_messages(user.chat_id, last=RECENT)]
        try:
            injected = inject()  # type: ignore[operator]
        except (AssertionError, KeyError, ValueError):  # the button is not on screen: start over
            raise _Lost from None
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            now = [(m.message_id, m.text) for m in self.telegram.bot_messages(user.chat_id, last=RECENT)]
            if now != before:
                await asyncio.sleep(0.1)
                with contextlib.suppress(AssertionError):
                    return self.telegram.menu(user.chat_id).text
            await asyncio.sleep(0.05)
        del injected
        return None

    async def customer(self, index: int, country: str, direction: str) -> None:
        user = self.telegram.user(first_name=f"C{index}")
        self.users[index] = user
        owned: list[str] = []
        while not self.stop and len(self.confirmations) < self.target:
            try:
                if owned and self.rng.random() < 0.45:
                    await self.renew(index, user, self.rng.choice(owned))
                else:
                    number = await self.order(index, user, country, direction)
                    if number:
                        owned.append(number)
            except _Lost:
                await asyncio.sleep(0.2)  # the bot died mid-walk: start that walk again

    async def walk(self, user: FakeUser, inject: object) -> str:
        shown = await self.step(user, inject)
        if shown is None:
            raise _Lost
        return shown

    async def order(self, index: int, user: FakeUser, country: str, direction: str) -> str | None:
        tg = self.telegram
        await self.walk(user, lambda: tg.send_command(user, "order"))
        await self.walk(user, lambda: tg.send_text(user, country))
        await self.walk(user, lambda: tg.press(user, direction))
        summary = await self.walk(user, lambda: tg.press(user, "Any number"))
        found = re.search(r"Number: (\+[\d ()-]+)", summary)
        if found is None:
            raise _Lost
        number = "".join(ch for ch in found.group(1) if ch.isdigit())
        charged = await self.confirm(index, user, "order", number, "Confirm and pay")
        return number if charged else None

    async def renew(self, index: int, user: FakeUser, number: str) -> None:
        tg = self.telegram
        await self.walk(user, lambda: tg.send_command(user, "numbers"))
        label = next(
            (lb for lb in tg.menu(user.chat_id).labels if "".join(filter(str.isdigit, lb)) == number), None
        )
        if label is None:
            raise _Lost
        await self.walk(user, lambda: tg.press(user, label))
        labels = tg.menu(user.chat_id).labels
        if not any("Prolong" in lb for lb in labels):
            return  # being checked: renewing is not offered
        await self.walk(user, lambda: tg.press(user, "Prolong"))
        await self.walk(user, lambda: tg.press(user, "1 month"))
        await self.confirm(index, user, "prolong", number, "Confirm and pay")

    async def confirm(self, index: int, user: FakeUser, kind: str, number: str, label: str) -> bool:
        tg = self.telegram
        await self.up.wait()
        seen = {m.message_id: m.text for m in tg.bot_messages(user.chat_id, last=RECENT)}
        charges = len(self.sandbox.state.charges)
        confirmation = Confirmation(index, kind, number, charges, calls_at=len(tg.calls))
        self.confirmations.append(confirmation)
        try:
            screen = tg.menu(user.chat_id)
            press: Injected = tg.press(user, label, message=screen)
        except (AssertionError, KeyError, ValueError):
            self.confirmations.remove(confirmation)
            raise _Lost from None
        if self.rng.random() < 0.15:  # the same button of the same message, pressed again
            self.double_presses += 1
            await asyncio.sleep(self.rng.uniform(0, 0.3))
            tg.press(user, label, message=screen)
        if self.rng.random() < 0.1:
            self.redeliveries += 1
            await asyncio.sleep(self.rng.uniform(0, 0.5))
            tg.redeliver(press)
        pressed = time.monotonic()
        deadline = pressed + self.outcome_wait
        while time.monotonic() < deadline:
            if self._finals(user, seen):
                confirmation.waited = time.monotonic() - pressed
                await asyncio.sleep(0.3)  # a second telling (chat and alert) may follow
                confirmation.told = self._finals(user, seen)
                return any(any(c in t for c in CHARGED) for t in confirmation.told)
            await asyncio.sleep(0.1)
        return False

    def _finals(self, user: FakeUser, seen: dict[int, str]) -> list[str]:
        """Final-outcome texts the bot sent (or edited in) since ``seen``."""
        messages = self.telegram.bot_messages(user.chat_id, last=RECENT)
        changed = [m.text for m in messages if seen.get(m.message_id) != m.text]
        return [t for t in changed if any(marker in t for marker in ANY_FINAL)]


class _Lost(Exception):
    """The walk to a Confirm button did not get an answer (the bot was down)."""


def attribute(soak: Soak) -> None:
    """Give every charge of the emulator to the one confirmation it belongs to."""
    charges = soak.sandbox.state.charges
    by_customer: dict[int, list[Confirmation]] = {}
    for c in soak.confirmations:
        by_customer.setdefault(c.customer, []).append(c)
    numbers_of = {c.number: c.customer for c in soak.confirmations if c.kind == "order"}
    for position, charge in enumerate(charges):
        number = charge.number.lstrip("+")
        owner = numbers_of.get(number)
        if owner is None:
            continue
        candidates = [
            c
            for c in by_customer[owner]
            if c.kind == charge.kind and c.number == number and c.charges_before <= position
        ]
        if candidates:
            candidates[-1].charges += 1


def calls_since(telegram: FakeTelegram, chat_id: int, start: int, limit: int) -> list[str]:
    """The first ``limit`` Bot API calls to ``chat_id`` from call ``start`` on: method, status, text."""
    lines = []
    for call in telegram.calls[start:]:
        if str(call.params.get("chat_id")) == str(chat_id):
            text = str(call.params.get("text", ""))[:90].replace("\n", " / ")
            lines.append(f"{call.method} {call.status} {call.params.get('message_id', '')} {text}")
        if len(lines) == limit:
            break
    return lines


async def read_owners(database_url: str) -> dict[str, str]:
    """number -> owner's user id, from the bot's own records (SQLite file or PostgreSQL)."""
    query = "SELECT number, owner_user_id FROM number_owners"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return dict(conn.execute(query).fetchall())
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        return {row["number"]: row["owner_user_id"] for row in await connection.fetch(query)}
    finally:
        await connection.close()


TAKEN_OVER = "taking over updates another replica left unfinished"


def updates_taken_over(logs: list[Path]) -> tuple[int, int]:
    """Updates a live replica took over from a gone one, and how many of them more than one process took.

    Taken twice is right only when the first taker was killed too before it finished.
    """
    takers: dict[int, set[Path]] = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if TAKEN_OVER in line:
                with contextlib.suppress(ValueError):
                    for update_id in json.loads(line).get("update_ids", []):
                        takers.setdefault(update_id, set()).add(log)
    return len(takers), sum(1 for processes in takers.values() if len(processes) > 1)


def owners_overwritten(soak: Soak, owners: dict[str, str]) -> tuple[int, int]:
    """(numbers paid by one customer but owned by another or nobody here, numbers checked)."""
    users = soak.users
    wrong = checked = 0
    for c in soak.confirmations:
        if c.kind == "order" and c.charges == 1:
            checked += 1
            if owners.get(c.number) != str(users[c.customer].id):
                wrong += 1
    return wrong, checked


async def main(args: argparse.Namespace) -> int:
    async with contextlib.AsyncExitStack() as stack:
        if args.store == "postgres":
            for service in (POSTGRES, REDIS):
                why = service.unreachable()
                if why is not None:
                    print(f"--store postgres needs {service.name} at {service.where()}: {why}")
                    return 2
            database_url = await stack.enter_async_context(fresh_database(POSTGRES.url))
            prefix = await stack.enter_async_context(fresh_prefix(REDIS.url))
            # With Redis a dead process's work is taken over once its list of work in hand
            # expires (three heartbeats), or ORPHAN_AFTER after it was left at the latest.
            store = {
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS.url,
                "REDIS_PREFIX": prefix,
                "ORPHAN_AFTER": str(args.orphan_after),
                "REPLICA_HEARTBEAT": str(args.heartbeat),
                "STATE_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            }
        else:
            workdir = Path(tempfile.mkdtemp(prefix="money-soak-"))
            store = {"DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}"}
        return await soak_run(args, store)


async def soak_run(args: argparse.Namespace, store: dict[str, str]) -> int:
    rng = random.Random(args.seed)
    sandbox = Sandbox(
        SandboxConfig(
            secret=ZADARMA_SECRET,
            rate_limit=args.budget or 1_000_000,
            balance=Decimal("10000000"),
            realistic=args.realistic,
        )
    )
    runner = web.AppRunner(sandbox.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    started = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        # Replicas: webhook deliveries several at once, and one a killed replica held sent again.
        fake = ParallelTelegram(retry=True) if args.replicas > 1 else FakeTelegram()
        telegram = await stack.enter_async_context(fake)
        ports: list[int | None] = [None]
        webhook: dict[str, str] = {}
        if args.replicas > 1:  # Telegram by webhook, through a round-robin proxy, as deploy/compose.yaml runs
            ports = [free_port() for _ in range(args.replicas)]
            upstreams = [f"http://127.0.0.1:{p}" for p in ports]
            logs = Path(tempfile.mkdtemp(prefix="money-soak-proxy-"))
            proxy, _ = await stack.enter_async_context(round_robin(upstreams, logs / "proxy.log"))
            webhook = {
                "TELEGRAM_WEBHOOK_URL": proxy + WEBHOOK_PATH,
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
        env = {
            "ZADARMA_API_URL": f"http://127.0.0.1:{port}",
            "ZADARMA_KEY": sandbox.key,
            "ZADARMA_SECRET": ZADARMA_SECRET,
            "ZADARMA_TIMEOUT": "1",
            "ZADARMA_RATE_LIMIT": str(args.budget or 10_000),
            "SETTLE_WINDOW": str(args.window),
            "OUTCOME_GRACE": "3",
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE": telegram.base_url,
            **store,
            "ALERT_INTERVAL": "3600",
            "ALERT_LEASE_TTL": "6",
            "LOG_LEVEL": "WARNING",
            **webhook,
        }
        soak = Soak(sandbox, telegram, env, rng, args.confirmations, ports=ports)
        if args.budget:  # calls queue for the budget: steps and outcomes take longer
            soak.patience, soak.outcome_wait = 60.0, 300.0
        await soak.start_all()
        if webhook:
            await telegram.wait_for(
                lambda: telegram.webhook_url == webhook["TELEGRAM_WEBHOOK_URL"], within=30
            )
        directions = DIRECTIONS[: args.customers]
        background = [
            asyncio.create_task(soak.faults()),
            asyncio.create_task(soak.killer((args.kill_min, args.kill_max))),
            asyncio.create_task(soak.progress()),
        ]
        customers = [asyncio.create_task(soak.customer(i, c, d)) for i, (c, d) in enumerate(directions)]
        await asyncio.gather(*customers)
        soak.stop = True
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        sandbox.clear_faults()
        await soak.up.wait()
        # Late landings land and the settler has its last look; a dead process's work is taken over.
        await asyncio.sleep(args.window + 5 + (4 * args.heartbeat if args.store == "postgres" else 0))
        await soak.stop_all()
    await runner.cleanup()
    attribute(soak)
    confirmations = soak.confirmations
    per = Counter(min(c.charges, 2) for c in confirmations)
    charges = sum(c.charges for c in confirmations)
    unattributed = len(sandbox.state.charges) - charges
    attributed = {(c.kind, c.number) for c in confirmations if c.charges}
    for charge in sandbox.state.charges:
        if (charge.kind, charge.number.lstrip("+")) not in attributed:
            print(f"  charge of no confirmation: {charge.kind} {charge.number}")
    wrong = 0
    never = 0
    contested = 0
    for c in confirmations:
        said_charged = any(any(m in t for m in CHARGED) for t in c.told)
        said_not = any(any(m in t for m in NOT_CHARGED) for t in c.told)
        if any(any(m in t for m in CONTESTED) for t in c.told):
            contested += 1
        if not c.told:
            never += 1
            last = [m.text[:80] for m in soak.telegram.bot_messages(soak.users[c.customer].chat_id, last=4)]
            print(f"  never told: customer {c.customer} {c.kind} {c.number}, charged {c.charges}: {last}")
            for line in calls_since(soak.telegram, soak.users[c.customer].chat_id, c.calls_at, 12):
                print(f"      {line}")
        elif (said_charged and c.charges == 0) or (said_not and c.charges > 0):
            wrong += 1
            print(f"  wrong: customer {c.customer} {c.kind} {c.number} charged {c.charges}: {c.told}")
    overwritten, checked = owners_overwritten(soak, await read_owners(store["DATABASE_URL"]))
    elapsed = time.monotonic() - started
    kinds = Counter(c.kind for c in confirmations)
    print(
        f"money soak: seed {args.seed}, emulator {'realistic' if args.realistic else 'exact'}, "
        f"store {args.store}, {args.replicas} bot process{'es' if args.replicas > 1 else ''}, "
        f"budget {f'{args.budget}/min' if args.budget else 'unlimited'}, "
        f"{len(directions)} customers, {elapsed:.0f} s, "
        f"bot killed {soak.kills} times"
    )
    print(f"confirmations: {len(confirmations)} ({kinds['order']} orders, {kinds['prolong']} renewals)")
    print(f"double presses: {soak.double_presses}, re-delivered presses: {soak.redeliveries}")
    if isinstance(soak.telegram, ParallelTelegram):
        print(f"webhook deliveries sent again after no 200: {soak.telegram.retried}")
    print(f"charges: {charges} (+ {unattributed} not belonging to any confirmation)")
    print(f"charges per confirmation: 0 -> {per[0]}, 1 -> {per[1]}, more -> {per[2]}")
    not_charged = sum(1 for c in confirmations if c.told and c.charges == 0)
    late = sum(1 for c in confirmations if any("Checked with Zadarma" in t for t in c.told))
    print(f"outcomes: {per[1]} paid, {not_charged} not paid; {late} settled after a lost or late reply")
    print(f"customers told a wrong outcome: {wrong}")
    print(f"customers never told: {never}")
    waits = sorted(c.waited for c in confirmations if c.told)
    if waits:
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        slow = sum(1 for w in waits if w > 10)
        print(
            f"time from Confirm to the final outcome: p50 {waits[len(waits) // 2]:.1f} s, p99 {p99:.1f} s,"
            f" longest {waits[-1]:.1f} s; over 10 s: {slow}"
        )
    print(f"contested (sent to operators): {contested}")
    if args.replicas > 1:
        taken, twice = updates_taken_over(soak.logs)
        print(f"updates taken over from a killed replica: {taken}; by more than one process: {twice}")
    print(f"owners overwritten: {overwritten} (of {checked} numbers paid for)")
    bad = per[2] + wrong + never + overwritten + unattributed
    print("result:", "OK" if bad == 0 else "FAILED")
    if bad and args.store == "sqlite":
        print(f"(the bot's database is kept: {store['DATABASE_URL']})")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--confirmations", type=int, default=1000)
    parser.add_argument(
        "--customers",
        type=int,
        default=8,
        choices=range(1, len(DIRECTIONS) + 1),
        metavar="1-15",
        help="one direction each",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=6.0, help="SETTLE_WINDOW of the bot, seconds")
    parser.add_argument("--kill-min", type=float, default=8.0)
    parser.add_argument("--kill-max", type=float, default=20.0)
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="the emulator varies every reply's shape as real APIs do (bot.sandbox.realistic)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        choices=range(1, 5),
        metavar="1-4",
        help="bot processes sharing the store (needs --store postgres), Telegram by webhook through "
        "a round-robin proxy; each kill takes one of them",
    )
    parser.add_argument(
        "--orphan-after",
        type=float,
        default=120.0,
        help="ORPHAN_AFTER of the bot with --store postgres, seconds (default 120, as in production)",
    )
    parser.add_argument(
        "--heartbeat",
        type=float,
        default=5.0,
        help="REPLICA_HEARTBEAT of the bot with --store postgres, seconds (default 5, as in production)",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=0,
        help="Zadarma calls per minute, the emulator's limit and the bot's ZADARMA_RATE_LIMIT "
        "(Zadarma's real limit is 100; default: unlimited)",
    )
    parser.add_argument(
        "--store",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="the bot's records: a SQLite file, or PostgreSQL with Redis (TEST_POSTGRES_URL, TEST_REDIS_URL)",
    )
    arguments = parser.parse_args()
    if arguments.replicas > 1 and arguments.store != "postgres":
        parser.error("--replicas above 1 needs --store postgres (replicas share PostgreSQL and Redis)")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(asyncio.run(main(arguments)))

"""The team console: the operators' ``/numbers`` subcommands and their buttons, as steps.

An operator reaches it with ``Command("team", ARGS)`` (Slack maps ``/numbers
ARGS`` to it). The subcommand is parsed by :mod:`conversations.team_commands`;
a simple change (auto-renewal, caller name, SIP, SMS, owner) is made at once and
told as a message, the rest moves the conversation to a step that shows a
list, a card, a renewal's confirmation, document groups or the audit log.

The one-tap buttons of a card, a group list or an alert (``team.*``
operations) are kept in ``state.team_actions`` so they keep working after
newer screens; every press is checked again: only an operator's counts, and
the services check the number and group each time. "New document group" and
a group's "Edit details" lead to ``team.form`` and ``team.edit``, the
customers' document-group form steps (:mod:`conversations.steps.form`,
:mod:`conversations.steps.group_edit`) run for the operator, ending on the
group; their screens carry the form, which Slack opens as a modal. A renewal
is paid through :func:`conversations.steps.prolong.prolong`, the customers'
path, with the idempotency key made when the confirmation is entered.

Screens only show: the engine keeps a screen's ``team.*`` buttons in
``state.team_actions`` once it has rendered it (``ConversationEngine``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.services.errors import NotFound, ServiceError
from bot.services.selection import NumberFilter, account_now, expiring, filtered
from bot.services.types import AuditEntry, DirectNumber, UserRef
from conversations import team_commands as tc
from conversations.context import Ctx, error_text
from conversations.formatting import country_name, format_phone, number_card_lines, on_off, status_text
from conversations.i18n import N_, Translator
from conversations.screens import Screen
from conversations.state import Action, ManageState, StepName
from conversations.steps.base import Step, lines
from conversations.steps.country import start_order
from conversations.steps.form import FormStep, start_form
from conversations.steps.group_edit import GroupEditStep, start_edit
from conversations.steps.prolong import ProlongRoutes, prolong, quote_text, start_renewal
from conversations.ui import ScreenBuilder

TEAM_COMMAND = "team"
"""The engine command of the team console (``Command("team", "list DE")``)."""
TEAM_START: StepName = "team.idle"
"""Where a team console conversation begins: nothing on screen."""

TEAM_ROUTES = ProlongRoutes(
    done="team.idle", failed="team.card", confirm="team.prolong_confirm", pending="team.prolong_pending"
)
AUDIT_LIMIT = 25
MAX_LIST_LINES = 100
MAX_GROUP_BUTTONS = 20


def team_error(tr: Translator, exc: ServiceError) -> str:
    """A service error as the team is told it (an unknown number or group said plainly)."""
    if isinstance(exc, NotFound):
        return tr.gettext("team.error.not_found")
    return error_text(tr, exc)


def _fail(ctx: Ctx, exc: ServiceError) -> None:
    ctx.say(team_error(ctx.tr, exc))
    ctx.press_not_applied = True  # nothing was changed
    ctx.go("team.idle")


def _refused(ctx: Ctx) -> bool:
    """True (and a polite refusal said) when the actor is not an operator; nothing else then happens."""
    if ctx.actor.is_operator:
        return False
    ctx.say(ctx.tr.gettext("team.refused"))
    ctx.press_not_applied = True
    return True


def open_team_card(ctx: Ctx, number: str) -> None:
    """Show ``number``'s card in the team console."""
    ctx.state.manage = ManageState(number=number.lstrip("+"))
    ctx.go("team.card")


def open_team_prolong(ctx: Ctx, number: str, months: int) -> None:
    """Show the price of prolonging ``number`` by ``months`` with Pay and Cancel (nothing paid yet)."""
    ctx.state.manage = ManageState(number=number.lstrip("+"))
    start_renewal(ctx.state.manage, months)
    ctx.go("team.prolong_confirm")


async def team_command(ctx: Ctx, args: str, alias: str = "") -> None:
    """Run one console command for an operator (anyone else is refused politely).

    ``alias``: the platform's own command for this one subcommand, shown in usage lines.
    """
    if _refused(ctx):
        return
    ctx.state.form = None  # a document-group form being filled in is left
    tr = ctx.tr
    try:
        command = tc.parse_command(args)
    except tc.CommandError as exc:
        ctx.say(exc.message(tr, alias))
        ctx.go("team.idle")
        return
    try:
        await _run(ctx, command)
    except ServiceError as exc:
        _fail(ctx, exc)


async def _run(ctx: Ctx, command: tc.Subcommand) -> None:
    tr = ctx.tr
    numbers = ctx.services.numbers
    team = ctx.state.team
    match command:
        case tc.ListNumbers(number_filter):
            team.filter_kind = number_filter.kind if number_filter else ""
            team.filter_value = number_filter.value if number_filter else ""
            ctx.go("team.list")
        case tc.Expiring(days):
            team.days = days
            ctx.go("team.expiring")
        case tc.Info(number):
            open_team_card(ctx, number)
        case tc.Prolong(number, months):
            open_team_prolong(ctx, number, months)
        case tc.Autorenew(number, enabled):
            await _set_autorenew(ctx, number, enabled)
        case tc.CallerName(number, name):
            stored = await numbers.set_caller_name(ctx.actor, number, name)
            if stored:
                ctx.say(tr.gettext("caller_name.done", number=format_phone(number), name=stored))
            else:
                ctx.say(tr.gettext("caller_name.cleared", number=format_phone(number)))
            ctx.go("team.idle")
        case tc.Sip(number, target, test_mode):
            sip = await numbers.set_sip_target(ctx.actor, number, target, test_mode=test_mode)
            key = N_("team.sip_done_test") if test_mode else N_("team.sip_done")
            ctx.say(tr.gettext(key, number=format_phone(number), target=sip))
            ctx.go("team.idle")
        case tc.Sms(number, enabled):
            state = await numbers.set_receive_sms(ctx.actor, number, enabled)
            ctx.say(tr.gettext("card.sms_done", number=format_phone(number), value=on_off(tr, state)))
            ctx.go("team.idle")
        case tc.Assign(number, telegram_id):
            if not ctx.customers_platform:
                ctx.say(tr.gettext("team.assign_no_customers"))
                ctx.go("team.idle")
                return
            owner = UserRef(ctx.customers_platform, telegram_id)
            await numbers.assign(ctx.actor, number, owner)
            ctx.given.append((number, owner))
            ctx.say(tr.gettext("team.assign_done", number=format_phone(number), user=telegram_id))
            ctx.go("team.idle")
        case tc.Docs(group_id):
            team.group_id = group_id
            ctx.go("team.docs" if group_id is None else "team.group")
        case tc.Audit(number):
            team.audit_number = number or ""
            ctx.go("team.audit")
        case tc.Order():
            await start_order(ctx)
        case tc.Help():
            ctx.say(tc.help_text(tr))
            ctx.go("team.idle")


async def _set_autorenew(ctx: Ctx, number: str, enabled: bool) -> None:
    state = await ctx.services.numbers.set_autorenew(ctx.actor, number, enabled)
    ctx.say(ctx.tr.gettext("card.autorenew_done", number=format_phone(number), value=on_off(ctx.tr, state)))
    ctx.go("team.idle")


async def team_press(ctx: Ctx, action: Action) -> None:
    """A one-tap console button (``team.*``), from a card, a group list or an alert.

    Its answer comes as a new message: the message pressed (a card, an alert) stays.
    """
    ctx.keep_pressed = True
    if _refused(ctx):
        return
    ctx.state.form = None  # a document-group form being filled in is left
    try:
        match action.op:
            case "team.open":
                open_team_card(ctx, action.ref)
            case "team.prolong":
                open_team_prolong(ctx, action.ref, action.n or 1)
            case "team.autorenew":
                await _set_autorenew(ctx, action.ref, bool(action.n))
            case "team.group":
                ctx.state.team.group_id = int(action.ref)
                ctx.go("team.group")
            case "team.new_group":
                start_form(ctx, "team")
            case "team.edit_group":
                start_edit(ctx, "team", int(action.ref))
    except ServiceError as exc:
        _fail(ctx, exc)


def team_notice_buttons(
    ui: ScreenBuilder, number: str, *, prolong: bool, autorenew: bool, card: bool
) -> None:
    """An alert's buttons about ``number`` for the team: prolong 1 month, auto-renewal on, the card."""
    tr = ui.tr
    digits = number.lstrip("+")
    row = []
    if prolong:
        label = tr.gettext("team.prolong_by", period=tr.ngettext("common.months", 1))
        row.append(ui.button(label, "team.prolong", digits, 1))
    if autorenew:
        row.append(ui.button(tr.gettext("card.autorenew_on"), "team.autorenew", digits, 1))
    if card:
        row.append(ui.button(tr.gettext("team.show_number"), "team.open", digits))
    ui.row(*row)


# -- steps ---------------------------------------------------------------------------------


class TeamStep(Step):
    """A console screen; a service error shows as its text (the console has no menu to fall back to)."""

    async def render(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        try:
            return await self.show(ctx, ui)
        except ServiceError as exc:
            return Screen(team_error(ctx.tr, exc), (), "none")

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        """The step's screen (service errors are shown by :meth:`render`)."""
        raise NotImplementedError

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        """Console screens have no buttons of their own but the ones their steps handle."""


class TeamIdleStep(TeamStep):
    """Nothing on screen: a command's answer was a message (an adapter shows no empty screen)."""

    name = "team.idle"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        return ui.screen("", "none")


def number_line(tr: Translator, record: DirectNumber) -> str:
    """One number in a list: number, status, paid until, auto-renewal, SIP, where."""
    parts = [
        format_phone(record.number),
        status_text(tr, record.status),
        tr.gettext("numbers.until", date=tr.date(record.stop_date)) if record.stop_date else "",
        tr.gettext("numbers.autorenew", value=on_off(tr, record.autorenew)),
        f"SIP {record.sip}" if record.sip else "",
        " ".join(p for p in (country_name(tr, record.country), record.description) if p),
    ]
    return " · ".join(p for p in parts if p)


def numbers_text(tr: Translator, title: str, records: Sequence[DirectNumber], empty: str) -> str:
    """A titled list of numbers (at most :data:`MAX_LIST_LINES`, then how many more)."""
    if not records:
        return lines(title, empty)
    shown = [number_line(tr, r) for r in records[:MAX_LIST_LINES]]
    if len(records) > MAX_LIST_LINES:
        shown.append(tr.gettext("team.list.more", count=len(records) - MAX_LIST_LINES))
    return lines(f"{title} ({len(records)})", *shown)


class TeamListStep(TeamStep):
    """Every number of the account, or those matching a status, digits or a country."""

    name = "team.list"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        team = ctx.state.team
        number_filter = NumberFilter(team.filter_kind, team.filter_value) if team.filter_kind else None
        records = filtered(await ctx.services.numbers.list_for(ctx.actor), number_filter)
        if number_filter is None:
            title = tr.gettext("team.list.title")
        else:
            title = tr.gettext("team.list.matching", value=number_filter.value)
        return ui.screen(numbers_text(tr, title, records, tr.gettext("team.list.empty")), "none")


class TeamExpiringStep(TeamStep):
    """Numbers (not parked) whose paid period ends within the days asked for, soonest first."""

    name = "team.expiring"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        days = ctx.state.team.days
        records = expiring(await ctx.services.numbers.list_for(ctx.actor), account_now(), days)
        title = tr.gettext("team.expiring.title", period=tr.ngettext("digest.within_days", days))
        return ui.screen(numbers_text(tr, title, records, tr.gettext("team.expiring.empty")), "none")


class TeamCardStep(TeamStep):
    """One number in full, its owner, with Prolong 1 month and the auto-renewal switch."""

    name = "team.card"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        numbers = ctx.services.numbers
        record = await numbers.get(ctx.actor, ctx.state.manage.number)
        assignment = await numbers.assignment(ctx.actor, record.number)
        caller = await numbers.caller_name(ctx.actor, record.number)
        parts = number_card_lines(tr, record, caller)
        parts.append(tr.gettext("team.card.channels", count=record.channels))
        if assignment is None:
            parts.append(tr.gettext("team.card.no_owner"))
        else:
            owner = f"{assignment.owner.platform}:{assignment.owner.user_id}"
            parts.append(tr.gettext("team.card.owner", owner=owner, by=assignment.assigned_by))
        digits = record.number.lstrip("+")
        renew = N_("card.autorenew_off") if record.autorenew else N_("card.autorenew_on")
        ui.row(
            ui.button(
                tr.gettext("team.prolong_by", period=tr.ngettext("common.months", 1)),
                "team.prolong",
                digits,
                1,
            ),
            ui.button(tr.gettext(renew), "team.autorenew", digits, 0 if record.autorenew else 1),
        )
        return ui.screen(lines(*parts), "none")


class TeamProlongConfirmStep(TeamStep):
    """The price, the dates and the balance; Pay prolongs once (the key is made on entering it)."""

    name = "team.prolong_confirm"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        text, price = await quote_text(ctx)
        label = N_("prolong.retry") if ctx.state.manage.failed else N_("prolong.pay")
        ui.row(
            ui.button(ctx.tr.gettext(label, amount=price), "confirm"),
            ui.button(ctx.tr.gettext("button.cancel"), "cancel"),
        )
        return ui.screen(text)

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if _refused(ctx):
            return
        match action.op:
            case "confirm":
                await prolong(ctx, TEAM_ROUTES)
            case "cancel":
                ctx.state.manage.key = ""
                ctx.state.manage.failed = False
                ctx.go("team.idle")


class TeamProlongPendingStep(TeamStep):
    """The renewal's outcome is not known yet; Refresh asks again with the same key."""

    name = "team.prolong_pending"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        ui.row(ui.button(ctx.tr.gettext("button.refresh"), "refresh"))
        return ui.screen(ctx.tr.gettext("prolong.pending"))

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if not _refused(ctx) and action.op == "refresh":
            await prolong(ctx, TEAM_ROUTES, first=False)


class TeamDocsStep(TeamStep):
    """Every document group, a button for each (the first 20) and one to create a group."""

    name = "team.docs"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        groups = await ctx.services.documents.groups_for(ctx.actor)
        readonly = tr.gettext("team.docs.readonly")
        entries = [
            f"#{g.id} {g.display_name} {readonly}" if g.is_readonly else f"#{g.id} {g.display_name}"
            for g in groups
        ]
        buttons = [
            ui.button(f"#{g.id} {g.display_name}", "team.group", str(g.id))
            for g in groups[:MAX_GROUP_BUTTONS]
        ]
        ui.rows(buttons, 5)
        ui.row(ui.button(tr.gettext("team.docs.new"), "team.new_group"))
        text = lines(tr.gettext("team.docs.title"), *(entries or [tr.gettext("team.docs.none")]))
        return ui.screen(text)


class TeamGroupStep(TeamStep):
    """One group's files and verification state, and why something was rejected."""

    name = "team.group"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        documents = ctx.services.documents
        group_id = ctx.state.team.group_id
        if group_id is None:
            return ui.screen(tr.gettext("team.error.not_found"), "none")
        group = await documents.group(ctx.actor, group_id)
        files = await documents.files(ctx.actor, group_id)
        wrongs = await documents.wrongs(ctx.actor, group_id)
        parts = [tr.gettext("team.group.title", id=group.id, name=group.display_name)]
        if not files:
            parts.append(tr.gettext("team.group.no_files"))
        for f in files:
            state = tr.gettext(N_("team.group.verified") if f.is_verified else N_("team.group.waiting"))
            name = f.name or tr.gettext("team.group.file")
            parts.append(f"• {f.type}: {name} — {state}")
        verified = bool(files) and all(f.is_verified for f in files)
        parts.append(tr.gettext(N_("team.group.all_verified") if verified else N_("team.group.incomplete")))
        if wrongs.document_message:
            what = f" ({wrongs.document_type})" if wrongs.document_type else ""
            parts.append(
                tr.gettext("team.group.document_rejected", what=what, reason=wrongs.document_message)
            )
        if wrongs.address_message:
            parts.append(tr.gettext("team.group.address_rejected", reason=wrongs.address_message))
        if not group.is_readonly:
            ui.row(ui.button(tr.gettext("team.group.edit"), "team.edit_group", str(group.id)))
        return ui.screen(lines(*parts), "none")


def audit_line(entry: AuditEntry) -> str:
    """One audit entry: when (UTC), who, what, on what, with what result."""
    return (
        f"{entry.at.strftime('%Y-%m-%d %H:%M')} {entry.actor} {entry.action} {entry.target} — {entry.result}"
    )


class TeamAuditStep(TeamStep):
    """Who did what, newest first: everything, or one number's entries."""

    name = "team.audit"

    async def show(self, ctx: Ctx, ui: ScreenBuilder) -> Screen:
        tr = ctx.tr
        number = ctx.state.team.audit_number or None
        entries = await ctx.services.numbers.audit_trail(ctx.actor, number, AUDIT_LIMIT)
        if number:
            title = tr.gettext("team.audit.of", number=format_phone(number))
        else:
            title = tr.gettext("team.audit.title")
        body = [audit_line(e) for e in entries] or [tr.gettext("team.audit.empty")]
        return ui.screen(lines(title, *body), "none")


class _OperatorsOnly(Step):
    """Input to a customers' step reused by the team console: refused unless the actor is an operator."""

    async def on_action(self, ctx: Ctx, action: Action) -> None:
        if not _refused(ctx):
            await super().on_action(ctx, action)

    async def on_text(self, ctx: Ctx, text: str) -> None:
        if not _refused(ctx):
            await super().on_text(ctx, text)

    async def on_form(self, ctx: Ctx, answers: Mapping[str, str]) -> None:
        if not _refused(ctx):
            await super().on_form(ctx, answers)


class TeamFormStep(_OperatorsOnly, FormStep):
    """A new document group for the team: the customers' form, for an operator; it ends on the group."""

    name = "team.form"
    origin = "team"


class TeamGroupEditStep(_OperatorsOnly, GroupEditStep):
    """Correcting any (writable) document group of the account; back to the group."""

    name = "team.edit"
    origin = "team"
    redirect_on_error = "team.group"  # the group cannot be read: the group's screen says why

    def redirect(self, ctx: Ctx, target: StepName) -> None:
        """Leave the corrections (dropped) for the group's screen, as Back does."""
        if target == "team.group":
            self._leave(ctx)
        else:
            super().redirect(ctx, target)


TEAM_STEPS: tuple[Step, ...] = (
    TeamIdleStep(),
    TeamListStep(),
    TeamExpiringStep(),
    TeamCardStep(),
    TeamProlongConfirmStep(),
    TeamProlongPendingStep(),
    TeamDocsStep(),
    TeamGroupStep(),
    TeamAuditStep(),
    TeamFormStep(),
    TeamGroupEditStep(),
)

"""The conversations in a terminal: the demo's adapter, and the reference a new platform copies.

A platform adapter is thin: it turns its updates into conversation events
(:mod:`.translate`), runs the engine, and renders the screens it gets back. What
every platform needs beyond that comes from the kit (:mod:`adapters.kit`), not
written again:

- the command catalog (:mod:`adapters.kit.commands`): which ``/commands`` are the
  engine's, with translated descriptions for menus and hints (here the
  introduction's command lines and the unknown-command answer);
- the bounded download (:mod:`adapters.kit.download`): a file over the limit is
  refused by its declared size before it is read (here a local file's size);
- the task supervisor and the backoff loop (:mod:`adapters.kit.tasks`,
  :mod:`adapters.kit.backoff`) for a platform that connects and works in the
  background (the terminal reads one line at a time and needs neither);
- the update gate (:mod:`adapters.kit.gate`) for a platform whose updates come over a
  network: a duplicate dropped by its ledger, one sender's updates in arrival order
  (``bot.coord.KeyLocks``), one outcome, timing and log line per update, updates in
  flight counted for shutdown; the platform keeps only its translation (Telegram's
  aiogram middleware, Slack's Bolt middleware). The terminal reads one line at a time
  from one user and needs none of it.

Alerts reach a platform through an alert sink (:mod:`.alerts`). A platform
registers once, in the composition root: for ``python -m bot run`` one
``PlatformEntry`` in ``bot.app.PLATFORMS`` (name, audience ``customers`` or
``team``, whether the settings turn it on, its operators, its team chat, and
how to build its runtime part and sink); the demo registers the terminal as
``Platform(PLATFORM, CUSTOMERS, ConsoleAlertSink(...))``. Alert routing then
follows the audience; nothing below the composition root names the platform.
A new platform also needs its settings (``bot.config``), an optional extra in
``pyproject.toml`` for its SDK, and its section in the README.
"""

from typing import Final

PLATFORM: Final = "console"
"""The platform string of the terminal's conversation keys and alert destinations."""

"""The adapter kit: what every chat platform needs once, written once.

- :mod:`adapters.kit.download`: a bounded download (the declared size is checked
  first, the stream stops as soon as it passes the limit);
- :mod:`adapters.kit.backoff`: one retry-with-backoff loop (reconnects, start-up calls);
- :mod:`adapters.kit.tasks`: one task supervisor (background work kept, failures
  logged, everything cancelled on shutdown);
- :mod:`adapters.kit.commands`: the customer command catalog, translated from the
  conversations' catalogs (menus, help lines, unknown-command hints);
- :mod:`adapters.kit.gate`: one update gate (a ledger that drops duplicates, one
  sender's updates in order under the keyed lock ``bot.coord.KeyLocks``, one outcome,
  timing and log line per update, in-flight counting); ``adapters.telegram.gate`` and
  ``adapters.slack.gate`` are only its aiogram and Bolt sides.

``adapters.console`` shows how a platform uses the kit and how it registers in the
composition root.
"""

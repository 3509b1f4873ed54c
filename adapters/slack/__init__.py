"""The Slack adapter: ``/numbers`` for the team, the order wizard in Block Kit, alerts to a channel.

Modules: ``part`` (:class:`SlackPart`, the runtime part), ``gate`` (retried
deliveries dropped, admins only), ``handlers`` (Bolt listeners), ``modals``
(modal openers and submissions), ``team`` (``/numbers`` and its buttons as
the engine's team console, see :mod:`conversations.steps.team`), ``wizard``
(the order conversation in Slack), ``blocks`` (Block Kit rendering of the
engine's screens), ``forms`` (modal views), ``home`` (App Home), ``files``
(shared files), ``outbox`` (Slack Web API calls), ``actions`` (what buttons
carry), ``delivery`` (:class:`DeliveryOutcome`), ``alerts``
(:class:`SlackAlertSink` for the alert scheduler), ``tasks`` (background
work), ``texts`` (the adapter's own English lines: refusal, file hints).
"""

from adapters.slack.alerts import SlackAlertSink
from adapters.slack.delivery import DeliveryOutcome
from adapters.slack.part import SlackPart

__all__ = ["DeliveryOutcome", "SlackAlertSink", "SlackPart"]

"""The Slack adapter: ``/numbers`` for the team, the order wizard in Block Kit, alerts to a channel.

Modules: ``part`` (:class:`SlackPart`, the runtime part), ``gate`` (retried
deliveries dropped, admins only), ``handlers`` (Bolt listeners), ``modals``
(modal openers and submissions), ``commands`` (parsing ``/numbers``),
``operations`` (subcommands against the services), ``wizard`` (the
conversation engine in Slack), ``blocks`` (Block Kit rendering), ``forms``
(modal views), ``home`` (App Home), ``files`` (shared files), ``outbox``
(Slack Web API calls), ``actions`` (what buttons carry), ``listing``
(number filters), ``delivery`` (:class:`DeliveryOutcome`), ``alerts``
(:class:`SlackAlertSink` for the alert scheduler), ``tasks``
(background work), ``texts`` (English texts).
"""

from adapters.slack.alerts import SlackAlertSink
from adapters.slack.delivery import DeliveryOutcome
from adapters.slack.part import SlackPart

__all__ = ["DeliveryOutcome", "SlackAlertSink", "SlackPart"]

"""Platform-neutral conversations: the order wizard, number management and documents.

Adapters (Telegram, Slack, the console) turn platform updates into
:mod:`~conversations.events`, call :class:`~conversations.engine.ConversationEngine`
and render the :class:`~conversations.screens.Screen` values it returns.
Nothing here imports a chat library or an HTTP client; data comes from
:class:`bot.services.Services`.
"""

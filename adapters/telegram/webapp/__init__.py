"""The Telegram Mini App: the documents form and document capture as a web page.

The page (``static/``) is served at ``/webapp/`` by the bot's own web server;
its JSON API (``/webapp/api/...``, :mod:`.api`) accepts only requests signed
with Telegram's init data (:mod:`.auth`) and works on the conversation of the
init data's user: it reads the form description the engine gives every
platform (:mod:`.payload`) and sends what the customer does down the paths a
chat message takes (``FormSubmitted``, ``FileUpload``), then shows the result
in the chat too.
"""

from adapters.telegram.webapp.api import WebAppApi
from adapters.telegram.webapp.auth import InitDataCheck, InitDataRefused, WebAppUser

__all__ = ["InitDataCheck", "InitDataRefused", "WebAppApi", "WebAppUser"]

"""A local Slack for tests, benchmarks and the sandbox: a Web API stand-in served over real HTTP
(``SlackWebApiStandIn``) and a client that sends our app signed requests as Slack does
(``SignedSlackClient``). Standard-library HTTP only; no request ever leaves the machine."""

from localslack.requests import SignedSlackClient, SlackResponse
from localslack.webapi import ApiCall, Message, SlackWebApiStandIn, Stall, UploadedFile, View

__all__ = [
    "ApiCall",
    "Message",
    "SignedSlackClient",
    "SlackResponse",
    "SlackWebApiStandIn",
    "Stall",
    "UploadedFile",
    "View",
]

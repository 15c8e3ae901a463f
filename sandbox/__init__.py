"""The local sandbox: the real app, unchanged, behind a workspace page in the browser.

No Slack account is needed and nothing leaves the machine. ``workspace`` plays the part of Slack (a
Web API stand-in the app's ``WebClient`` talks to, and signed requests into the app exactly as Slack
sends them); ``server`` serves the page and its JSON API on the loopback interface.
"""

from sandbox.server import Sandbox, run_sandbox
from sandbox.workspace import SAMPLE_USERS, SandboxRequestError, SandboxWorkspace

__all__ = ["SAMPLE_USERS", "Sandbox", "SandboxRequestError", "SandboxWorkspace", "run_sandbox"]

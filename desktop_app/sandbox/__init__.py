"""The local stand-in for MyOperator's OBD endpoint (demo mode, ``opdial-cli sandbox``, tests)."""

from desktop_app.sandbox.server import DEMO_TRIGGERS, Faults, ReceivedRequest, SandboxConfig, SandboxServer

__all__ = ["DEMO_TRIGGERS", "Faults", "ReceivedRequest", "SandboxConfig", "SandboxServer"]

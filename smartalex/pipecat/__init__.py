"""SmartAlex for Pipecat: a Pipecat bot answers calls to the AI extension.

`pip install "smartalex-native-extension[pipecat]"`, then build the transport as Pipecat's own
Twilio example does, with `SmartAlexFrameSerializer` in place of `TwilioFrameSerializer`
(examples/pipecat/bot.py is a whole bot; docs/agent-protocol.md, "Pipecat"):

- everything Twilio-shaped (audio both ways, keys, `clear` on interruption) is Pipecat's own
  TwilioFrameSerializer, unchanged;
- `TransferCallFrame`, `ResolveFrame` and `DirectoryRequestFrame` ask the edge to transfer the
  caller, match a name against the directory, or list it; the answers come back as
  `TransferOutcomeFrame`, `ResolvedFrame` and `DirectoryFrame`;
- ending the pipeline (`EndFrame`) closes the socket, which hangs up once the audio sent has
  played: no Twilio account, no REST call;
- `CallTransfers` is the "transfer the caller" tool for an LLM (`transfers.tool`).
"""

try:
    import pipecat  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("smartalex.pipecat needs Pipecat: "
                      'pip install "smartalex-native-extension[pipecat]"') from exc

from .frames import (
    DirectoryFrame,
    DirectoryRequestFrame,
    ResolvedFrame,
    ResolveFrame,
    TransferCallFrame,
    TransferOutcomeFrame,
)
from .serializer import SmartAlexFrameSerializer
from .transfers import TRANSFER_TOOL_NAME, CallTransfers

__all__ = [
    "TRANSFER_TOOL_NAME",
    "CallTransfers",
    "DirectoryFrame",
    "DirectoryRequestFrame",
    "ResolveFrame",
    "ResolvedFrame",
    "SmartAlexFrameSerializer",
    "TransferCallFrame",
    "TransferOutcomeFrame",
]

"""Call audio: the pjsua2 port that taps a call, and the WebSocket stream to the agent."""

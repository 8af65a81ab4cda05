"""How fast the edge sends REGISTERs to one PBX.

After an edge restart or a failover an edge registers hundreds of trunks within seconds, and
many of them may sit on one PBX (a hosted PBX with many customers' extensions). PBXs and
providers throttle bursts of REGISTERs per source (fail2ban and 3CX's anti-hacking blocklists
ban the source address; Twilio allows 5 REGISTER/s per address-of-record), and a banned edge
address fails every trunk on that PBX. So first attempts and retries to one PBX address go out
at most `rate` a second after a burst of `burst`; pjsua's own refreshes are not held back (they
are spread by when each trunk first registered).

Pure: the worker asks with its clock; the edge's rate is split between its worker processes
(each worker paces what it sends, and the PBX sees the sum).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RegisterPacer:
    rate: float   # REGISTERs a second to one PBX address
    burst: float  # sent at once before the rate applies
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, at

    def take(self, pbx: str, now: float) -> bool:
        """Whether a REGISTER to `pbx` may go now (it is then counted)."""
        tokens, at = self._buckets.get(pbx, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[pbx] = (tokens, now)
            return False
        self._buckets[pbx] = (tokens - 1.0, now)
        if len(self._buckets) > 4096:  # full buckets carry no state worth keeping
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.burst - 1}
        return True

"""Whether audio flows both ways during a call, judged from its RTP and RTCP counters (no pjsua2).

edge/call_session.py samples pjmedia's stream statistics about once a second after the answer
and tells Diagnostics, once per call each, what this finds:
- nothing from the PBX NO_AUDIO_AFTER seconds after the answer (the caller's side is not
  reaching us: NAT, firewall, the PBX advertising a private address);
- our audio not reaching the PBX: its RTCP reaches us, but its receiver reports (RFC 3550 6.4)
  carry no report block about our stream (none naming our SSRC: a PBX that received nothing
  sends none, or, as pjmedia does, one about SSRC 0), or count at least half of what we sent
  as lost, while we have been sending. A PBX that sends no RTCP at all cannot tell us, and is
  not judged;
- audio from the PBX stopping mid-call: packets had flowed, then none for STOPPED_AFTER
  seconds with the call up and not on hold (a NAT or firewall closing the UDP flow, the PBX
  moving media without a re-INVITE). Silence suppression (VAD) also pauses RTP, so the wait is
  long, and the hint says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

NO_AUDIO_AFTER = 5.0
# pjmedia and PBXs send RTCP about every 5 s: by then two intervals have passed.
NOT_REACHING_AFTER = 12.0
STOPPED_AFTER = 15.0
# At least 2 s of our audio before the PBX's reports can be held against it.
MIN_SENT = 100
LOST_SHARE = 0.5


class AudioProblem(StrEnum):
    NONE_IN = "none_in"      # nothing from the PBX
    NONE_OUT = "none_out"    # ours does not reach the PBX
    STOPPED = "stopped"      # the PBX's stopped mid-call


@dataclass(frozen=True)
class Sample:
    rx_packets: int       # RTP packets received from the PBX so far
    tx_packets: int       # RTP packets we sent so far
    rtcp_heard: bool      # the PBX's RTCP reached us (it carried its SDES)
    reports: int          # its report blocks about our stream (naming our SSRC), so far
    reported_lost: int    # how many of our packets the last of them counts as lost
    on_hold: bool = False


@dataclass
class AudioWatch:
    answered_at: float
    told: set[AudioProblem] = field(default_factory=set)
    last_rx: int = 0
    rx_changed_at: float | None = None
    stopped_after: float | None = None  # seconds into the call when the PBX's audio stopped

    def sample(self, now: float, s: Sample) -> list[AudioProblem]:
        """What is newly wrong (each problem once per call)."""
        if s.rx_packets != self.last_rx or s.on_hold:
            self.last_rx, self.rx_changed_at = s.rx_packets, now
        found = []
        elapsed = now - self.answered_at
        if elapsed >= NO_AUDIO_AFTER and s.rx_packets == 0 and not s.on_hold:
            found.append(AudioProblem.NONE_IN)
        if elapsed >= NOT_REACHING_AFTER and s.rtcp_heard and not s.on_hold \
                and s.tx_packets >= MIN_SENT \
                and (s.reports == 0 or s.reported_lost >= LOST_SHARE * s.tx_packets):
            found.append(AudioProblem.NONE_OUT)
        if s.rx_packets and self.rx_changed_at is not None \
                and now - self.rx_changed_at >= STOPPED_AFTER:
            self.stopped_after = self.rx_changed_at - self.answered_at
            found.append(AudioProblem.STOPPED)
        new = [p for p in found if p not in self.told]
        self.told.update(new)
        return new

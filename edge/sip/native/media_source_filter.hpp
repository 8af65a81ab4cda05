/*
 * The media source filter: a call's RTP and RTCP are taken only from the host its SDP named.
 *
 * pjmedia latches on to whoever sends RTP first ("symmetric RTP"): before the PBX's first packet
 * any host that guesses the port can inject audio into the call and have the call's audio sent
 * to it, and RTCP is re-pointed after three packets from anywhere. The filter is a media
 * transport adapter wrapped around each call's UDP transport (Call::onCreateMediaTransport):
 *  - RTP and RTCP from any other IP address are dropped before the stream sees them, so the
 *    stream never latches elsewhere (a different port on the same IP still latches: a PBX
 *    behind a NAT that rewrites ports keeps working);
 *  - RTCP is always sent to the address the SDP named, whatever the UDP transport latched to.
 * The peer is the remote address the stream attaches with (the SDP's c=/m= lines, re-read on
 * every re-INVITE, which re-attaches the stream).
 *
 * It also reads the peer's RTCP receiver reports (RFC 3550 6.4) for the report blocks about
 * our own stream (the SSRC of the RTP we send), which pjmedia does not: it takes the first
 * report block of any RR or SR as being about us. A peer that has received nothing from us
 * may still send a block (pjmedia's own RTCP does, about SSRC 0, counting nothing lost), which
 * pjmedia's statistics then show as a loss-free report (edge/audio_watch.py).
 */
#ifndef SMARTALEX_MEDIA_SOURCE_FILTER_HPP
#define SMARTALEX_MEDIA_SOURCE_FILTER_HPP

#include <pjsua2/call.hpp>

namespace smartalex {

/** Replace prm.mediaTp by a filtering adapter around it; call from
 *  Call::onCreateMediaTransport. The adapter closes the wrapped transport when pjsua asks it
 *  to (PJSUA_MED_TP_CLOSE_MEMBER in prm.flags). */
void filterMediaSources(pj::OnCreateMediaTransportParam &prm) PJSUA2_THROW(pj::Error);

/** RTP and RTCP packets dropped by every filter of this process so far. */
unsigned long droppedMediaPackets();

/** What the peer's RTCP said about our stream so far. */
struct ReceiverReports
{
    unsigned aboutUs;      /**< report blocks naming our SSRC */
    unsigned aboutOthers;  /**< report blocks naming another SSRC (0: nothing received) */
    int      lost;         /**< cumulative packets lost, from the last block about us */
    unsigned highestSeq;   /**< extended highest sequence number received, from it too */
};

/** The receiver reports of call `callId`'s audio (its first media); all zero when the call
 *  has no filtered media transport (yet). */
ReceiverReports receiverReports(int callId);

} /* namespace smartalex */

#endif

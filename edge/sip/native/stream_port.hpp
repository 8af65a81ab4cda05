/*
 * The stream port: a call's audio tap between the conference bridge and its agent's WebSocket.
 *
 * pjmedia's clock thread asks every port for a frame and hands it one every 20 ms. A port written
 * in Python (a SWIG director) takes the GIL twice per call per 20 ms and copies each frame
 * element by element through a ByteVector; at a few dozen calls per process that alone costs more
 * than the rest of the bridge (docs/measurements/edge-capacity.md). This port does the clock
 * thread's work in C++ and never touches Python:
 *  - caller audio is converted to G.711 mu-law and buffered, for the worker's asyncio loop to
 *    take in bulk (takeCallerAudio) on its own 20 ms tick, for every call at once;
 *  - agent audio (mu-law, any chunk size) is queued in 20 ms frames, bounded, and played out
 *    in order; named marks sit between the frames and are reported (takePlayedMarks) once
 *    everything queued before them has been played, as Twilio Media Streams' `mark` promises.
 * Every public method may be called from any thread: one mutex guards the queues, and nothing
 * under it blocks or calls back.
 */
#ifndef SMARTALEX_STREAM_PORT_HPP
#define SMARTALEX_STREAM_PORT_HPP

#include <pjsua2/media.hpp>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace smartalex {

/** Bytes that cross into Python as `bytes` (SWIG maps std::string to str). */
struct AudioBytes
{
    std::string data;
};

class StreamPort : public pj::AudioMediaPort
{
public:
    /** Mu-law bytes in one 20 ms frame at 8 kHz. */
    static const unsigned FRAME_BYTES = 160;

    /**
     * @param maxQueuedFrames  agent audio beyond this many unplayed frames is dropped (a buggy
     *                         or hostile agent must not fill the edge's memory).
     * @param maxCallerFrames  caller audio not taken within this many frames is dropped, oldest
     *                         first (the loop stalled; stale audio is worth less than memory).
     */
    StreamPort(unsigned maxQueuedFrames, unsigned maxCallerFrames);
    virtual ~StreamPort();

    /** Register with the conference bridge: 8 kHz, mono, 20 ms, 16-bit PCM. */
    void open(const std::string &name) PJSUA2_THROW(pj::Error);

    /* --- the agent's side: any thread --- */
    /** Queue mu-law audio; returns how many whole frames were dropped because the queue was
     *  full. A partial frame waits for the next chunk (or a mark, which pads it). */
    unsigned play(const AudioBytes &ulaw);
    /** A named point after everything queued so far. */
    void mark(const std::string &name);
    /** Barge-in: drop queued audio; returns the names of the marks that were waiting. */
    std::vector<std::string> clear();
    /** Seconds of agent audio queued and not yet played. */
    double queuedSeconds();

    /* --- read by the worker: any thread --- */
    /** Caller audio (mu-law) received since the last call, oldest first. */
    AudioBytes takeCallerAudio();
    /** Marks reached since the last call, in order. */
    std::vector<std::string> takePlayedMarks();
    /** Frames received from the call since the port opened. */
    unsigned long receivedFrames();
    /** Agent frames dropped because the queue was full, since the port opened. */
    unsigned long droppedFrames();
    /** Seconds since a received frame last carried more than background noise; negative when
     *  none has yet. */
    double secondsSinceVoiced();
    /** Seconds since a frame of the agent's audio was last played; negative when none has
     *  been yet. */
    double secondsSincePlayed();

    /* --- pjmedia's clock thread --- */
    virtual void onFrameRequested(pj::MediaFrame &frame);
    virtual void onFrameReceived(pj::MediaFrame &frame);

private:
    struct Item
    {
        std::string frame;  /* FRAME_BYTES of mu-law; empty for a mark */
        std::string mark;
    };

    void flushPartial();

    std::mutex lock_;
    std::deque<Item> outbound_;
    unsigned queued_;            /* frames in outbound_ (marks not counted) */
    std::string partial_;        /* agent audio shorter than a frame */
    std::string caller_;         /* mu-law not yet taken */
    std::vector<std::string> played_;
    unsigned maxQueued_;
    size_t maxCallerBytes_;
    unsigned long received_;
    unsigned long dropped_;
    long long voicedAtNs_;       /* steady clock; < 0: never */
    long long playedAtNs_;       /* steady clock; < 0: never */
};

} /* namespace smartalex */

#endif

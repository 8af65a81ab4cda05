/*
 * The stream port (stream_port.hpp): the clock thread's side of a call's audio in C++.
 */
#include "stream_port.hpp"

#include <pjmedia/alaw_ulaw.h>

#include <chrono>

namespace smartalex {

namespace {

const unsigned SAMPLE_RATE = 8000;
const unsigned FRAME_MS = 20;
const unsigned SAMPLES = SAMPLE_RATE * FRAME_MS / 1000;  /* 160 */
/* What counts as the caller's side carrying sound: the RMS of a 16-bit frame above this (a
 * silent line's comfort noise stays below it). */
const long long VOICED_RMS = 30;
const unsigned char ULAW_SILENCE = 0xFF;

long long nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count();
}

} /* namespace */

StreamPort::StreamPort(unsigned maxQueuedFrames, unsigned maxCallerFrames)
    : queued_(0), maxQueued_(maxQueuedFrames),
      maxCallerBytes_((size_t)maxCallerFrames * FRAME_BYTES),
      received_(0), dropped_(0), voicedAtNs_(-1), playedAtNs_(-1)
{
}

StreamPort::~StreamPort()
{
}

void StreamPort::open(const std::string &name) PJSUA2_THROW(pj::Error)
{
    pj::MediaFormatAudio fmt;
    fmt.init(PJMEDIA_FORMAT_PCM, SAMPLE_RATE, 1, FRAME_MS * 1000, 16);
    createPort(name, fmt);
}

unsigned StreamPort::play(const AudioBytes &ulaw)
{
    std::lock_guard<std::mutex> guard(lock_);
    partial_.append(ulaw.data);
    size_t whole = partial_.size() - partial_.size() % FRAME_BYTES;
    unsigned dropped = 0;
    for (size_t at = 0; at < whole; at += FRAME_BYTES) {
        if (queued_ >= maxQueued_) {
            dropped = (unsigned)((whole - at) / FRAME_BYTES);
            break;
        }
        Item item;
        item.frame.assign(partial_, at, FRAME_BYTES);
        outbound_.push_back(item);
        ++queued_;
    }
    partial_.erase(0, whole);
    dropped_ += dropped;
    return dropped;
}

void StreamPort::flushPartial()
{
    if (partial_.empty())
        return;
    partial_.resize(FRAME_BYTES, (char)ULAW_SILENCE);
    Item item;
    item.frame.swap(partial_);
    partial_.clear();
    outbound_.push_back(item);
    ++queued_;
}

void StreamPort::mark(const std::string &name)
{
    std::lock_guard<std::mutex> guard(lock_);
    flushPartial();
    Item item;
    item.mark = name;
    outbound_.push_back(item);
}

std::vector<std::string> StreamPort::clear()
{
    std::lock_guard<std::mutex> guard(lock_);
    std::vector<std::string> marks;
    for (std::deque<Item>::const_iterator it = outbound_.begin(); it != outbound_.end(); ++it)
        if (it->frame.empty())
            marks.push_back(it->mark);
    outbound_.clear();
    queued_ = 0;
    partial_.clear();
    return marks;
}

double StreamPort::queuedSeconds()
{
    std::lock_guard<std::mutex> guard(lock_);
    return queued_ * FRAME_MS / 1000.0;
}

AudioBytes StreamPort::takeCallerAudio()
{
    AudioBytes taken;
    std::lock_guard<std::mutex> guard(lock_);
    taken.data.swap(caller_);
    return taken;
}

std::vector<std::string> StreamPort::takePlayedMarks()
{
    std::vector<std::string> taken;
    std::lock_guard<std::mutex> guard(lock_);
    taken.swap(played_);
    return taken;
}

unsigned long StreamPort::receivedFrames()
{
    std::lock_guard<std::mutex> guard(lock_);
    return received_;
}

unsigned long StreamPort::droppedFrames()
{
    std::lock_guard<std::mutex> guard(lock_);
    return dropped_;
}

double StreamPort::secondsSinceVoiced()
{
    std::lock_guard<std::mutex> guard(lock_);
    if (voicedAtNs_ < 0)
        return -1.0;
    return (nowNs() - voicedAtNs_) / 1e9;
}

double StreamPort::secondsSincePlayed()
{
    std::lock_guard<std::mutex> guard(lock_);
    if (playedAtNs_ < 0)
        return -1.0;
    return (nowNs() - playedAtNs_) / 1e9;
}

void StreamPort::onFrameRequested(pj::MediaFrame &frame)
{
    std::string ulaw;
    {
        std::lock_guard<std::mutex> guard(lock_);
        while (!outbound_.empty()) {
            Item &item = outbound_.front();
            if (item.frame.empty()) {
                played_.push_back(item.mark);
                outbound_.pop_front();
                continue;
            }
            ulaw.swap(item.frame);
            outbound_.pop_front();
            --queued_;
            playedAtNs_ = nowNs();
            break;
        }
    }
    frame.type = PJMEDIA_FRAME_TYPE_AUDIO;
    frame.size = SAMPLES * 2;
    frame.buf.resize(SAMPLES * 2);
    pj_int16_t *pcm = reinterpret_cast<pj_int16_t *>(&frame.buf[0]);
    if (ulaw.empty()) {
        for (unsigned i = 0; i < SAMPLES; ++i)
            pcm[i] = 0;
        return;
    }
    for (unsigned i = 0; i < SAMPLES; ++i)
        pcm[i] = (pj_int16_t)pjmedia_ulaw2linear((unsigned char)ulaw[i]);
}

void StreamPort::onFrameReceived(pj::MediaFrame &frame)
{
    if (frame.type != PJMEDIA_FRAME_TYPE_AUDIO || frame.size < 2 || frame.buf.size() < 2)
        return;
    unsigned samples = (unsigned)(frame.buf.size() / 2);
    const pj_int16_t *pcm = reinterpret_cast<const pj_int16_t *>(&frame.buf[0]);
    char ulaw[SAMPLES * 4];
    if (samples > sizeof(ulaw))
        samples = sizeof(ulaw);
    long long energy = 0;
    for (unsigned i = 0; i < samples; ++i) {
        energy += (long long)pcm[i] * pcm[i];
        ulaw[i] = (char)pjmedia_linear2ulaw(pcm[i]);
    }
    bool voiced = energy > VOICED_RMS * VOICED_RMS * (long long)samples;

    std::lock_guard<std::mutex> guard(lock_);
    ++received_;
    if (voiced)
        voicedAtNs_ = nowNs();
    caller_.append(ulaw, samples);
    if (caller_.size() > maxCallerBytes_)
        caller_.erase(0, caller_.size() - maxCallerBytes_);
}

} /* namespace smartalex */

/* See media_source_filter.hpp. Modelled on pjmedia's transport_adapter_sample.c. */
#include "media_source_filter.hpp"

#include <pjsua2.hpp>
#include <pjsua-lib/pjsua.h>
#include <pjmedia.h>

namespace smartalex {

namespace {

unsigned long dropped = 0;

/* Our entry in pjmedia_transport_info's specific info (tp_get_info): the receiver reports. */
const pjmedia_transport_type FILTER_TYPE = (pjmedia_transport_type)(PJMEDIA_TRANSPORT_TYPE_USER + 7);
const pj_uint8_t RTCP_SR = 200, RTCP_RR = 201;

struct source_filter
{
    pjmedia_transport  base;
    pj_pool_t         *pool;
    pjmedia_transport *member;
    pj_bool_t          close_member;

    /* The stream attached to us, and the peer its SDP named. */
    void     *stream_user_data;
    void    (*stream_rtp_cb)(void*, void*, pj_ssize_t);
    void    (*stream_rtp_cb2)(pjmedia_tp_cb_param*);
    void    (*stream_rtcp_cb)(void*, void*, pj_ssize_t);
    pj_sockaddr peer;       /* RTP address from the SDP: only its IP matters */
    pj_sockaddr peer_rtcp;  /* where our RTCP goes */
    unsigned    peer_len;

    /* Our SSRC as the RTP we send carries it (network order), and what the peer's receiver
     * reports said about it. Written on the media thread, read through tp_get_info by the
     * pump's: plain 32-bit words, loaded and stored whole. */
    pj_uint32_t      our_ssrc;
    pj_bool_t        ssrc_known;
    ReceiverReports  reports;
};

/* Same IP address (any port), same family. */
bool same_host(const pj_sockaddr *a, const pj_sockaddr *b)
{
    if (a->addr.sa_family != b->addr.sa_family || !pj_sockaddr_has_addr(a))
        return false;
    return pj_memcmp(pj_sockaddr_get_addr(a), pj_sockaddr_get_addr(b),
                     pj_sockaddr_get_addr_len(a)) == 0;
}

void on_rtp(pjmedia_tp_cb_param *param)
{
    source_filter *f = (source_filter*)param->user_data;
    /* A negative size is a transport error report, not a packet: always pass it on. */
    if (param->size > 0 && (!param->src_addr ||
                            !same_host(&f->peer, (const pj_sockaddr*)param->src_addr))) {
        ++dropped;
        return;
    }
    if (f->stream_rtp_cb2) {
        pjmedia_tp_cb_param forwarded = *param;
        forwarded.user_data = f->stream_user_data;
        f->stream_rtp_cb2(&forwarded);
        param->rem_switch = forwarded.rem_switch;
    } else if (f->stream_rtp_cb) {
        f->stream_rtp_cb(f->stream_user_data, param->pkt, param->size);
    }
}

pj_uint32_t word_at(const pj_uint8_t *p)
{
    pj_uint32_t w;
    pj_memcpy(&w, p, sizeof(w));
    return w;
}

/* Walk a compound RTCP packet's SRs and RRs (RFC 3550 6.4.1, 6.4.2) for report blocks about
 * our SSRC; a malformed packet is read up to where it stops making sense. */
void read_reports(source_filter *f, const pj_uint8_t *p, pj_size_t left)
{
    if (!__atomic_load_n(&f->ssrc_known, __ATOMIC_RELAXED))
        return;  /* we have sent nothing yet: nothing can be about us */
    const pj_uint32_t ours = __atomic_load_n(&f->our_ssrc, __ATOMIC_RELAXED);
    while (left >= 8) {
        const unsigned version = p[0] >> 6, count = p[0] & 0x1f, type = p[1];
        const pj_size_t length = ((pj_size_t)((p[2] << 8) | p[3]) + 1) * 4;  /* in words - 1 */
        if (version != 2 || length > left)
            return;
        /* Report blocks follow the sender's SSRC (RR), or its sender info too (SR). */
        const pj_size_t first = type == RTCP_SR ? 28 : type == RTCP_RR ? 8 : length;
        for (unsigned i = 0; i < count && first + (i + 1) * 24 <= length; ++i) {
            const pj_uint8_t *block = p + first + i * 24;
            if (word_at(block) != ours) {
                __atomic_add_fetch(&f->reports.aboutOthers, 1, __ATOMIC_RELAXED);
                continue;
            }
            /* cumulative number of packets lost: 24 bits, signed */
            pj_int32_t lost = (block[5] << 16) | (block[6] << 8) | block[7];
            if (lost & 0x800000)
                lost -= 0x1000000;
            __atomic_store_n(&f->reports.lost, lost, __ATOMIC_RELAXED);
            __atomic_store_n(&f->reports.highestSeq, pj_ntohl(word_at(block + 8)),
                             __ATOMIC_RELAXED);
            __atomic_add_fetch(&f->reports.aboutUs, 1, __ATOMIC_RELAXED);
        }
        p += length;
        left -= length;
    }
}

void on_rtcp(void *user_data, void *pkt, pj_ssize_t size)
{
    source_filter *f = (source_filter*)user_data;
    if (size > 0) {
        /* The RTCP callback carries no source: the UDP transport holds the packet's. */
        pjmedia_transport_info info;
        pjmedia_transport_info_init(&info);
        if (pjmedia_transport_get_info(f->member, &info) != PJ_SUCCESS ||
            !same_host(&f->peer, &info.src_rtcp_name)) {
            ++dropped;
            return;
        }
        read_reports(f, (const pj_uint8_t*)pkt, (pj_size_t)size);
    }
    if (f->stream_rtcp_cb)
        f->stream_rtcp_cb(f->stream_user_data, pkt, size);
}

pj_status_t tp_get_info(pjmedia_transport *tp, pjmedia_transport_info *info)
{
    source_filter *f = (source_filter*)tp;
    pj_status_t status = pjmedia_transport_get_info(f->member, info);
    if (status != PJ_SUCCESS || info->specific_info_cnt >= PJMEDIA_TRANSPORT_SPECIFIC_INFO_MAXCNT)
        return status;
    ReceiverReports now;
    now.aboutUs = __atomic_load_n(&f->reports.aboutUs, __ATOMIC_RELAXED);
    now.aboutOthers = __atomic_load_n(&f->reports.aboutOthers, __ATOMIC_RELAXED);
    now.lost = __atomic_load_n(&f->reports.lost, __ATOMIC_RELAXED);
    now.highestSeq = __atomic_load_n(&f->reports.highestSeq, __ATOMIC_RELAXED);
    pjmedia_transport_specific_info *spc = &info->spc_info[info->specific_info_cnt++];
    spc->type = FILTER_TYPE;
    spc->cbsize = sizeof(now);
    pj_memcpy(spc->buffer, &now, sizeof(now));
    spc->tp = tp;
    return status;
}

pj_status_t tp_attach2(pjmedia_transport *tp, pjmedia_transport_attach_param *att)
{
    source_filter *f = (source_filter*)tp;
    f->stream_user_data = att->user_data;
    f->stream_rtp_cb = att->rtp_cb2 ? NULL : att->rtp_cb;
    f->stream_rtp_cb2 = att->rtp_cb2;
    f->stream_rtcp_cb = att->rtcp_cb;
    pj_sockaddr_cp(&f->peer, &att->rem_addr);
    if (pj_sockaddr_has_addr(&att->rem_rtcp)) {
        pj_sockaddr_cp(&f->peer_rtcp, &att->rem_rtcp);
    } else {
        pj_sockaddr_cp(&f->peer_rtcp, &att->rem_addr);
        pj_sockaddr_set_port(&f->peer_rtcp,
                             (pj_uint16_t)(pj_sockaddr_get_port(&att->rem_addr) + 1));
    }
    f->peer_len = att->addr_len;

    pjmedia_transport_attach_param ours = *att;
    ours.user_data = f;
    ours.rtp_cb = NULL;
    ours.rtp_cb2 = &on_rtp;
    ours.rtcp_cb = &on_rtcp;
    pj_status_t status = pjmedia_transport_attach2(f->member, &ours);
    if (status != PJ_SUCCESS) {
        f->stream_user_data = NULL;
        f->stream_rtp_cb = NULL;
        f->stream_rtp_cb2 = NULL;
        f->stream_rtcp_cb = NULL;
    }
    return status;
}

void tp_detach(pjmedia_transport *tp, void *)
{
    source_filter *f = (source_filter*)tp;
    if (f->stream_user_data) {
        pjmedia_transport_detach(f->member, f);
        f->stream_user_data = NULL;
        f->stream_rtp_cb = NULL;
        f->stream_rtp_cb2 = NULL;
        f->stream_rtcp_cb = NULL;
    }
}

pj_status_t tp_send_rtp(pjmedia_transport *tp, const void *pkt, pj_size_t size)
{
    source_filter *f = (source_filter*)tp;
    if (size >= 12) {  /* the fixed RTP header: the SSRC is its third word */
        __atomic_store_n(&f->our_ssrc, word_at((const pj_uint8_t*)pkt + 8), __ATOMIC_RELAXED);
        __atomic_store_n(&f->ssrc_known, PJ_TRUE, __ATOMIC_RELAXED);
    }
    return pjmedia_transport_send_rtp(f->member, pkt, size);
}

pj_status_t tp_send_rtcp(pjmedia_transport *tp, const void *pkt, pj_size_t size)
{
    source_filter *f = (source_filter*)tp;
    if (!f->peer_len)
        return pjmedia_transport_send_rtcp(f->member, pkt, size);
    /* Pinned: the UDP transport re-points RTCP after a few packets from anywhere. */
    return pjmedia_transport_send_rtcp2(f->member, &f->peer_rtcp, f->peer_len, pkt, size);
}

pj_status_t tp_send_rtcp2(pjmedia_transport *tp, const pj_sockaddr_t *addr, unsigned len,
                          const void *pkt, pj_size_t size)
{
    return pjmedia_transport_send_rtcp2(((source_filter*)tp)->member, addr, len, pkt, size);
}

pj_status_t tp_media_create(pjmedia_transport *tp, pj_pool_t *pool, unsigned options,
                            const pjmedia_sdp_session *rem_sdp, unsigned index)
{
    return pjmedia_transport_media_create(((source_filter*)tp)->member, pool, options,
                                          rem_sdp, index);
}

pj_status_t tp_encode_sdp(pjmedia_transport *tp, pj_pool_t *pool,
                          pjmedia_sdp_session *local_sdp, const pjmedia_sdp_session *rem_sdp,
                          unsigned index)
{
    return pjmedia_transport_encode_sdp(((source_filter*)tp)->member, pool, local_sdp,
                                        rem_sdp, index);
}

pj_status_t tp_media_start(pjmedia_transport *tp, pj_pool_t *pool,
                           const pjmedia_sdp_session *local_sdp,
                           const pjmedia_sdp_session *rem_sdp, unsigned index)
{
    return pjmedia_transport_media_start(((source_filter*)tp)->member, pool, local_sdp,
                                         rem_sdp, index);
}

pj_status_t tp_media_stop(pjmedia_transport *tp)
{
    return pjmedia_transport_media_stop(((source_filter*)tp)->member);
}

pj_status_t tp_simulate_lost(pjmedia_transport *tp, pjmedia_dir dir, unsigned pct)
{
    return pjmedia_transport_simulate_lost(((source_filter*)tp)->member, dir, pct);
}

void on_group_destroy(void *arg)
{
    pj_pool_release(((source_filter*)arg)->pool);
}

pj_status_t tp_destroy(pjmedia_transport *tp)
{
    source_filter *f = (source_filter*)tp;
    if (f->close_member)
        pjmedia_transport_close(f->member);
    if (f->base.grp_lock)
        pj_grp_lock_dec_ref(f->base.grp_lock);  /* on_group_destroy frees the pool */
    else
        on_group_destroy(f);
    return PJ_SUCCESS;
}

pjmedia_transport_op filter_ops = {
    &tp_get_info,
    NULL,            /* attach: attach2 only */
    &tp_detach,
    &tp_send_rtp,
    &tp_send_rtcp,
    &tp_send_rtcp2,
    &tp_media_create,
    &tp_encode_sdp,
    &tp_media_start,
    &tp_media_stop,
    &tp_simulate_lost,
    &tp_destroy,
    &tp_attach2,
};

} /* namespace */

void filterMediaSources(pj::OnCreateMediaTransportParam &prm) PJSUA2_THROW(pj::Error)
{
    pjmedia_transport *member = (pjmedia_transport*)prm.mediaTp;
    if (!member)
        throw pj::Error(PJ_EINVAL, "filterMediaSources()", "", __FILE__, __LINE__);
    pj_pool_t *pool = pjmedia_endpt_create_pool(pjsua_get_pjmedia_endpt(), "srcflt%p", 512,
                                                512);
    if (!pool)
        throw pj::Error(PJ_ENOMEM, "filterMediaSources()", "", __FILE__, __LINE__);
    source_filter *f = PJ_POOL_ZALLOC_T(pool, source_filter);
    f->pool = pool;
    f->member = member;
    f->close_member = (prm.flags & PJSUA_MED_TP_CLOSE_MEMBER) != 0;
    pj_ansi_strxcpy(f->base.name, pool->obj_name, sizeof(f->base.name));
    f->base.type = FILTER_TYPE;
    f->base.op = &filter_ops;
    if (member->grp_lock) {
        f->base.grp_lock = member->grp_lock;
        pj_grp_lock_add_ref(member->grp_lock);
        pj_grp_lock_add_handler(member->grp_lock, pool, f, &on_group_destroy);
    }
    prm.mediaTp = &f->base;
}

unsigned long droppedMediaPackets()
{
    return dropped;
}

ReceiverReports receiverReports(int callId)
{
    ReceiverReports found = {0, 0, 0, 0};
    pjmedia_transport_info info;
    pjmedia_transport_info_init(&info);
    if (pjsua_call_get_med_transport_info(callId, 0, &info) != PJ_SUCCESS)
        return found;
    const void *ours = pjmedia_transport_info_get_spc_info(&info, FILTER_TYPE);
    if (ours)
        pj_memcpy(&found, ours, sizeof(found));
    return found;
}

} /* namespace smartalex */

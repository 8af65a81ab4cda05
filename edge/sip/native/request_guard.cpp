/* See request_guard.hpp. */
#include "request_guard.hpp"

#include <pjsua2.hpp>
#include <pjsua-lib/pjsua.h>
#include <pjsip.h>
#include <pjsip_ua.h>

namespace smartalex {

namespace {

RequestGuard *installed_guard = NULL;
unsigned long refused = 0;

std::string to_string(const pj_str_t &s)
{
    return std::string(s.ptr ? s.ptr : "", s.ptr ? (size_t)s.slen : 0);
}

/* A request whose To tag names a dialog we have: it is that dialog's business. */
bool in_known_dialog(pjsip_rx_data *rdata)
{
    if (!rdata->msg_info.to || rdata->msg_info.to->tag.slen == 0 ||
        !rdata->msg_info.from || !rdata->msg_info.cid)
        return false;
    /* Incoming: our tag is in To, the peer's in From. */
    pjsip_dialog *dlg = pjsip_ua_find_dialog(&rdata->msg_info.cid->id,
                                             &rdata->msg_info.to->tag,
                                             &rdata->msg_info.from->tag, PJ_FALSE);
    return dlg != NULL;
}

GuardedRequest describe(pjsip_rx_data *rdata)
{
    GuardedRequest request;
    const pjsip_msg *msg = rdata->msg_info.msg;
    request.method = to_string(msg->line.req.method.name);
    request.sourceAddress = rdata->pkt_info.src_name;
    request.sourcePort = rdata->pkt_info.src_port;
    request.transport = rdata->tp_info.transport && rdata->tp_info.transport->type_name
                        ? rdata->tp_info.transport->type_name : "";
    request.hasToTag = rdata->msg_info.to && rdata->msg_info.to->tag.slen > 0;
    const pjsip_uri *uri = (const pjsip_uri*)pjsip_uri_get_uri(msg->line.req.uri);
    if (uri && (PJSIP_URI_SCHEME_IS_SIP(uri) || PJSIP_URI_SCHEME_IS_SIPS(uri)))
        request.requestUser = to_string(((const pjsip_sip_uri*)uri)->user);
    return request;
}

pj_bool_t on_rx_request(pjsip_rx_data *rdata)
{
    RequestGuard *guard = installed_guard;
    if (!guard)
        return PJ_FALSE;
    const pjsip_method *method = &rdata->msg_info.msg->line.req.method;
    if (method->id == PJSIP_ACK_METHOD || method->id == PJSIP_CANCEL_METHOD)
        return PJ_FALSE;
    if (in_known_dialog(rdata))
        return PJ_FALSE;

    int verdict;
    try {
        verdict = guard->onRequest(describe(rdata));
    } catch (...) {
        /* A failing rule must not open the door, nor unwind through pjsip's C frames. */
        verdict = PJSIP_SC_FORBIDDEN;
    }
    if (verdict == RequestGuard::ACCEPT)
        return PJ_FALSE;
    ++refused;
    if (verdict >= 400 && verdict < 700) {
        pjsip_endpt_respond_stateless(pjsua_get_pjsip_endpt(), rdata, verdict, NULL, NULL,
                                      NULL);
    }
    return PJ_TRUE;  /* consumed: no transaction, no dialog, no pjsua callback */
}

pjsip_module guard_module = {
    NULL, NULL,                                  /* prev, next */
    { (char*)"mod-smartalex-request-guard", 27 }, /* name */
    -1,                                          /* id */
    PJSIP_MOD_PRIORITY_TSX_LAYER - 1,            /* before transactions and dialogs */
    NULL, NULL, NULL, NULL,                      /* load, start, stop, unload */
    &on_rx_request,                              /* on_rx_request */
    NULL, NULL, NULL, NULL,                      /* on_rx_response, on_tx_*, on_tsx_state */
};

} /* namespace */

RequestGuard::RequestGuard() {}

RequestGuard::~RequestGuard()
{
    uninstall();
}

int RequestGuard::onRequest(const GuardedRequest &)
{
    return PJSIP_SC_FORBIDDEN;
}

void RequestGuard::install() PJSUA2_THROW(pj::Error)
{
    if (installed_guard == this)
        return;
    if (installed_guard)
        throw pj::Error(PJ_EEXISTS, "RequestGuard::install()", "", __FILE__, __LINE__);
    pj_status_t status = pjsip_endpt_register_module(pjsua_get_pjsip_endpt(), &guard_module);
    if (status != PJ_SUCCESS)
        throw pj::Error(status, "RequestGuard::install()", "", __FILE__, __LINE__);
    installed_guard = this;
}

void RequestGuard::uninstall()
{
    if (installed_guard != this)
        return;
    installed_guard = NULL;
    if (guard_module.id != -1 && pjsua_get_pjsip_endpt())
        pjsip_endpt_unregister_module(pjsua_get_pjsip_endpt(), &guard_module);
}

unsigned long RequestGuard::refusedCount() const
{
    return refused;
}

} /* namespace smartalex */

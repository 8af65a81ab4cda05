/*
 * RequestGuard: the edge's first look at every SIP request it receives, before pjsip's
 * transaction layer and before pjsua answers anything by itself (OPTIONS, for one, has no
 * pjsua2 callback at all).
 *
 * Requests inside a dialog we already have pass untouched. Everything else (INVITE, REFER,
 * OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY, ... with no To tag, or a To tag that names no dialog of
 * ours) goes to onRequest(), which a Python subclass overrides (edge/sip/guard.py) to apply the
 * rules in edge/inbound_policy.py. The verdict is ACCEPT (pjsip handles the request as usual), a
 * SIP status code (answered statelessly: nothing is created for it), or DROP (no answer at all,
 * for floods). ACK and CANCEL always pass: ACK never gets an answer, and a CANCEL only matches
 * an INVITE transaction that was already let in.
 *
 * One guard per process (pjsua is one per process too): install() registers a pjsip module with
 * priority just below the transaction layer's; uninstall() (or the destructor) removes it.
 */
#ifndef SMARTALEX_REQUEST_GUARD_HPP
#define SMARTALEX_REQUEST_GUARD_HPP

#include <string>
#include <pjsua2/types.hpp>

namespace smartalex {

/** What the guard knows of a request when it decides. */
struct GuardedRequest
{
    std::string method;          /* "INVITE", "OPTIONS", ... */
    std::string sourceAddress;   /* the packet's source IP (no port, no brackets) */
    int         sourcePort;
    std::string transport;       /* "UDP", "TCP", "TLS" (pjsip's type names) */
    std::string requestUser;     /* the user part of the Request-URI ("" when none) */
    bool        hasToTag;        /* a To tag that names no dialog of ours */
};

class RequestGuard
{
public:
    static const int ACCEPT = 0;
    static const int DROP = -1;

    RequestGuard();
    virtual ~RequestGuard();

    /** The verdict for a request that belongs to no dialog of ours: ACCEPT, DROP, or a SIP
     *  status code (400-699) to answer statelessly. Runs on the pjsua thread. The default
     *  refuses everything: a guard that is installed but not overridden lets nothing in. */
    virtual int onRequest(const GuardedRequest &request);

    /** Register the guard with pjsip (after libInit/libStart). Throws pj::Error if another
     *  guard is installed already. */
    void install() PJSUA2_THROW(pj::Error);

    /** Unregister (before libDestroy). Safe to call twice. */
    void uninstall();

    /** Requests refused or dropped so far (whatever the verdict's code). */
    unsigned long refusedCount() const;
};

} /* namespace smartalex */

#endif

/*
 * pjproject's compile-time limits for the edge (scripts/build_pjsua2.py copies this file to
 * pjlib/include/pj/config_site.h before building). pjproject's defaults (8 accounts and 4 calls
 * per process, 64 sockets per I/O queue) are what capped the PyPI wheel; the figures behind
 * these are in docs/measurements/pjsua2-build.md.
 */

/* Accounts (one per held trunk, plus one for a trunk being re-registered) and calls per
 * worker process. The edge's own caps (edge/settings.py) stay below these, so that one call
 * or trunk too many is refused by us, with a clear reason, not by pjsua. */
#define PJSUA_MAX_ACC               512
#define PJSUA_MAX_CALLS             256
/* Each call is a conference port, plus the agent's audio port and a prompt player. */
#define PJSUA_MAX_PLAYERS           256
#define PJSUA_MAX_RECORDERS         16
#define PJSUA_MAX_CONF_PORTS        (3 * PJSUA_MAX_CALLS)
/* RTP + RTCP per call, TCP/TLS connections per trunk: the epoll I/O queue (configure
 * --enable-epoll) takes more than select()'s FD_SETSIZE of 1024. */
#define PJ_IOQUEUE_MAX_HANDLES      4096

/* Servers have no sound device; the edge bridges audio to WebSockets. */
#define PJMEDIA_HAS_VIDEO           0
#define PJMEDIA_AUDIO_DEV_HAS_NULL_AUDIO 1

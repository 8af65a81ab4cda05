/*
 * The pjsua2 module as the edge builds it: pjproject's own SWIG interface, unchanged, plus the
 * edge's two pjsip adapters (request_guard.hpp, media_source_filter.hpp). One module, so the
 * adapters share the very pjsip/pjmedia instance pjsua2 runs (a second extension would carry a
 * second copy of pjproject's globals). scripts/build_pjsua2.py runs SWIG on this file.
 */
%include "pjsua2.i"

%{
#include "request_guard.hpp"
#include "media_source_filter.hpp"
%}

%feature("director") smartalex::RequestGuard;
%include "request_guard.hpp"
%include "media_source_filter.hpp"

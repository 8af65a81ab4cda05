/*
 * The pjsua2 module as the edge builds it: pjproject's own SWIG interface, unchanged, plus the
 * edge's pjsip/pjmedia adapters (request_guard.hpp, media_source_filter.hpp, stream_port.hpp).
 * One module, so the adapters share the very pjsip/pjmedia instance pjsua2 runs (a second
 * extension would carry a second copy of pjproject's globals). scripts/build_pjsua2.py runs SWIG
 * on this file.
 */
%include "pjsua2.i"

%{
#include "request_guard.hpp"
#include "media_source_filter.hpp"
#include "stream_port.hpp"
%}

%feature("director") smartalex::RequestGuard;
%include "request_guard.hpp"
%include "media_source_filter.hpp"

/* Audio crosses as `bytes` both ways (SWIG would map std::string to str and decode it). The
 * conversion runs with the GIL held; the wrapped method itself runs without it (-threads). */
%typemap(in) const smartalex::AudioBytes & (smartalex::AudioBytes temp) {
    char *data;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize($input, &data, &size) == -1)
        SWIG_fail;
    temp.data.assign(data, (size_t)size);
    $1 = &temp;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_STRING) const smartalex::AudioBytes & {
    $1 = PyBytes_Check($input) ? 1 : 0;
}
%typemap(out) smartalex::AudioBytes {
    $result = PyBytes_FromStringAndSize($1.data.data(), (Py_ssize_t)$1.data.size());
}
/* No Python override of the clock thread's callbacks: no GIL per frame. (They stay callable
 * from Python, which only the unit tests do, with frames of their own.) */
%feature("director", "0") smartalex::StreamPort;
%ignore smartalex::AudioBytes;
%include "stream_port.hpp"

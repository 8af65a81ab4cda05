"""Packages the pjsua2 module as a wheel; run by scripts/build_pjsua2.py inside the prepared
pjproject tree (pjsip-apps/src/swig/python), never by hand.

Unlike pjproject's own setup.py this compiles the edge's adapters into the same `_pjsua2`
extension, and takes the compiler and linker flags from the environment the build script read
from pjproject's helper.mak.
"""

import os

from setuptools import Extension, setup


def _lines(name: str) -> list[str]:
    return [line for line in os.environ[name].splitlines() if line]


setup(
    name="pjsua2",
    version=os.environ["SMARTALEX_PJSUA2_VERSION"],
    description="pjsua2 (pjproject's SIP user agent) built for the SmartAlex edge",
    url="https://github.com/pjsip/pjproject",
    license="GPL-2.0-or-later",
    py_modules=["pjsua2"],
    ext_modules=[Extension(
        "_pjsua2",
        ["pjsua2_wrap.cpp", "request_guard.cpp", "media_source_filter.cpp", "stream_port.cpp"],
        libraries=_lines("SMARTALEX_PJSUA2_LIBS"),
        extra_compile_args=_lines("SMARTALEX_PJSUA2_CFLAGS") + ["-g0"],
        # Debug symbols off (the module is 43 MB with them); the dynamic symbols stay.
        extra_link_args=_lines("SMARTALEX_PJSUA2_LDFLAGS") + ["-Wl,--strip-debug"],
    )],
)

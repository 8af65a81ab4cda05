#!/usr/bin/env bash
# Debian/Ubuntu packages the local stack and the tests need: Kamailio (the test PBX), sipp and
# baresip (scripted and second-stack SIP peers),
# espeak-ng + sox for the built-in receptionist, and what scripts/build_pjsua2.py compiles
# pjproject with (a C++ compiler, make, swig, the OpenSSL 3 and uuid headers, Python's headers).
# Installs only what is missing, so it is cheap to run every time.
set -euo pipefail
missing=()
command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
# The test PBX offers SIP over TLS too.
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1 || missing+=(kamailio-tls-modules)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
# A second SIP stack for the call tests (tests/support/baresip.py). baresip-core is the binary
# and its audio/control modules; the `baresip` package would add GTK, X11 and video plugins.
command -v baresip >/dev/null 2>&1 || missing+=(baresip-core)
# The audio tests put a caller behind a firewall in a network namespace of their own
# (tests/support/netns.py): ip (iproute2) and nft.
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
# The built-in receptionist speaks with espeak-ng and resamples its prompts with sox.
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
# The CDK CLI (infra/cdk/package.json) synthesizes the app for `make synth`, the infra tests and
# the local IAM policies of `make run` and `make test` (devstack/runtime_policies.py).
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The admin console's browser tests drive Debian's Chromium (Playwright, tests/console).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The pjsua2 build (only used when its wheel is not cached yet, but cheap to check).
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v swig >/dev/null 2>&1 || missing+=(swig)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
[ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
[ -e /usr/include/uuid/uuid.h ] || missing+=(uuid-dev)
python="${PYTHON:-python3.11}"
if command -v "$python" >/dev/null 2>&1 && ! "$python" -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
  missing+=("$(basename "$python")-dev")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing ${missing[*]} from the distribution's packages…"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

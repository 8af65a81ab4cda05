#!/usr/bin/env bash
# Debian/Ubuntu packages the local stack and the tests need: Kamailio (the test PBX), sipp, and
# espeak-ng + sox for the built-in receptionist.
# Installs only what is missing, so it is cheap to run every time.
set -euo pipefail
missing=()
command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
# The test PBX offers SIP over TLS too.
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1 || missing+=(kamailio-tls-modules)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
# The built-in receptionist speaks with espeak-ng and resamples its prompts with sox.
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing ${missing[*]} from the distribution's packages…"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env python3
"""Build the edge's pjsua2 wheel from the pinned pjproject release, or reuse the cached one.

    python scripts/build_pjsua2.py              # build if needed; print the wheel's folder
    python scripts/build_pjsua2.py --wheel-dir  # only print the folder (nothing is built)

Why our own build: the PyPI wheel (pjsua2-python 2.15.1.post1) is compiled with pjproject's
defaults (8 accounts, 4 calls per process) and bundles OpenSSL 1.0.2k; this one has the limits
in edge/sip/native/config_site.h, links the system's OpenSSL 3, uses the epoll I/O queue, and
carries the edge's pjsip adapters (edge/sip/native/*.cpp) inside the same module.

The wheel lands in a cache outside the clone, keyed by everything that goes into it (the pin,
config_site.h, the adapters, the configure flags, this script, the Python ABI), so a second
`make` reuses it and a change to any input builds a new one. The source comes from
`$PJPROJECT_TARBALL`, else a vendored copy (`$SMARTALEX_VENDOR_DIR`, or a `shared/vendor`
folder beside the clone or above it, checked by sha256), else upstream's release archive,
checked by the commit id git writes into every archive it makes. Needs a C++ compiler, make,
swig, and the OpenSSL and uuid headers (scripts/install-system-deps.sh installs them).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NATIVE = REPO / "edge" / "sip" / "native"

VERSION = "2.17"
COMMIT = "5a457451fa2712ba18e12b01738e8ff3af2b26fd"
TARBALL = f"pjproject-{VERSION}.tar.gz"
VENDORED_SHA256 = "6e9b2e0ae40bb6b98bca015abdc549d2f18ab2712c1ff140ac521f95f8c3d953"
UPSTREAM = f"https://github.com/pjsip/pjproject/archive/refs/tags/{VERSION}.tar.gz"
CONFIGURE = ["--enable-epoll", "--disable-video", "--disable-sound", "--disable-libwebrtc",
             "--disable-opencore-amr", "--disable-silk", "--disable-sdl", "--disable-ffmpeg",
             "--disable-v4l2", "--disable-openh264", "--disable-libyuv", "--disable-bcg729",
             "--disable-darwin-ssl", "--disable-upnp",
             # G.711 only (edge/sip/endpoint.py): the other codecs are not built at all.
             "--disable-gsm-codec", "--disable-speex-codec", "--disable-speex-aec",
             "--disable-ilbc-codec", "--disable-g7221-codec"]
# -DNDEBUG: a misuse of pjsua raises pj.Error instead of aborting the Python process.
CFLAGS = "-fPIC -O2 -DNDEBUG"
SWIG_FLAGS = ["-c++", "-python", "-threads", "-w312"]


def cache_root() -> Path:
    base = os.environ.get("SMARTALEX_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "smartalex")
    return Path(base) / "pjsua2"


def build_key() -> str:
    """Everything that goes into the wheel; a change to any of it is a new wheel."""
    digest = hashlib.sha256()
    for part in (VERSION, COMMIT, CFLAGS, *CONFIGURE, *SWIG_FLAGS,
                 sysconfig.get_config_var("SOABI") or sys.version, sysconfig.get_platform()):
        digest.update(part.encode() + b"\0")
    for path in sorted(NATIVE.iterdir()) + [Path(__file__).resolve()]:
        if path.is_file() and path.suffix in (".h", ".hpp", ".cpp", ".i", ".py"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def wheel_dir() -> Path:
    return cache_root() / build_key()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _archive_commit(path: Path) -> str | None:
    """The commit id `git archive` wrote into the tar's global pax header."""
    with tarfile.open(path) as tar:
        tar.next()
        return tar.pax_headers.get("comment")


def source_tarball() -> Path:
    explicit = os.environ.get("PJPROJECT_TARBALL")
    candidates = [Path(explicit)] if explicit else []
    # A vendored copy: where SMARTALEX_VENDOR_DIR says, else a `shared/vendor` folder beside the
    # clone or beside any folder above it (a clean clone may sit deeper than the checkout).
    folders = [os.environ.get("SMARTALEX_VENDOR_DIR")]
    folders += [parent / "shared" / "vendor" for parent in REPO.parents]
    for folder in folders:
        if folder:
            candidates.append(Path(folder) / TARBALL)
    for path in candidates:
        if path.is_file():
            if _sha256(path) == VENDORED_SHA256 or _archive_commit(path) == COMMIT:
                return path
            raise SystemExit(f"{path} is not pjproject {VERSION} (commit {COMMIT}): "
                             "remove it or point PJPROJECT_TARBALL at the release archive")
    download = cache_root() / "downloads" / TARBALL
    if not (download.is_file() and _archive_commit(download) == COMMIT):
        download.parent.mkdir(parents=True, exist_ok=True)
        print(f"downloading {UPSTREAM}", file=sys.stderr)
        partial = download.with_suffix(".part")
        with urllib.request.urlopen(UPSTREAM, timeout=60) as response, open(partial, "wb") as f:
            shutil.copyfileobj(response, f)
        if _archive_commit(partial) != COMMIT:
            partial.unlink()
            raise SystemExit(f"{UPSTREAM} is not commit {COMMIT}: refusing to build it")
        partial.replace(download)
    return download


def _run(cmd: list[str], cwd: Path, log: Path, env: dict | None = None) -> None:
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(cmd)}\n".encode())
        out.flush()
        result = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise SystemExit(f"pjsua2 build failed in {cwd}: {' '.join(cmd)}\n" + "\n".join(tail)
                         + f"\n(full log: {log})")


def _make_flags(swig_python: Path, target: str) -> list[str]:
    out = subprocess.run(["make", "--no-print-directory", "-f", "helper.mak", target],
                         cwd=swig_python, capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def build(destination: Path) -> Path:
    jobs = str(os.cpu_count() or 2)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=destination.parent))
    log = work / "build.log"
    try:
        print(f"building pjsua2 {VERSION} (a few minutes, once; log: {log})", file=sys.stderr)
        with tarfile.open(source_tarball()) as tar:
            tar.extractall(work, filter="data")
        tree = work / f"pjproject-{VERSION}"
        shutil.copy(NATIVE / "config_site.h", tree / "pjlib" / "include" / "pj" / "config_site.h")
        _run(["./configure", f"CFLAGS={CFLAGS}", *CONFIGURE], tree, log)
        _run(["make", "dep"], tree, log)
        _run(["make", f"-j{jobs}", "lib"], tree, log)
        swig_python = tree / "pjsip-apps" / "src" / "swig" / "python"
        for source in NATIVE.iterdir():
            if source.suffix in (".hpp", ".cpp", ".i"):
                shutil.copy(source, swig_python / source.name)
        includes = [f"-I{tree / lib / 'include'}"
                    for lib in ("pjlib", "pjlib-util", "pjmedia", "pjsip", "pjnath")]
        _run(["swig", *SWIG_FLAGS, *includes, "-I..", "-o", "pjsua2_wrap.cpp",
              "smartalex_pjsua2.i"], swig_python, log)
        env = dict(os.environ, SMARTALEX_PJSUA2_VERSION=f"{VERSION}+smartalex.{destination.name}",
                   SMARTALEX_PJSUA2_CFLAGS="\n".join(_make_flags(swig_python, "cflags")),
                   SMARTALEX_PJSUA2_LIBS="\n".join(_make_flags(swig_python, "libs")),
                   SMARTALEX_PJSUA2_LDFLAGS="\n".join(_make_flags(swig_python, "ldflags")),
                   MAKEFLAGS=f"-j{jobs}")
        shutil.copy(NATIVE / "setup.py", swig_python / "smartalex_setup.py")
        staged = work / "wheel"
        _run([sys.executable, "smartalex_setup.py", "-q", "bdist_wheel", "-d", str(staged)],
             swig_python, log, env)
        (wheel,) = staged.glob("*.whl")
        partial = destination.with_name(destination.name + ".part")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        shutil.copy(wheel, partial / wheel.name)
        partial.replace(destination)
        shutil.rmtree(work)
        return destination
    except BaseException:
        print(f"pjsua2 build left in {work}", file=sys.stderr)
        raise


def ensure_wheel() -> Path:
    destination = wheel_dir()
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination.parent / f"{destination.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two `make`s at once build it once
        if not any(destination.glob("*.whl")):
            build(destination)
    return destination


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel-dir", action="store_true",
                        help="print the folder the wheel is (or would be) cached in, build nothing")
    args = parser.parse_args()
    print(wheel_dir() if args.wheel_dir else ensure_wheel())


if __name__ == "__main__":
    main()

"""KamailioPBX: a real SIP registrar/proxy on loopback for tests and the local demo.

A real Kamailio (not a mock) is used so that the edge is tested against the same
digest auth, registration replacement and REFER routing a customer PBX performs.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .install import KAMCMD, ensure_kamailio_installed, find_binary

TEMPLATE = Path(__file__).with_name("kamailio.cfg.tmpl")
DEFAULT_USERS = {"1000": "secret", "1001": "secret"}
_USER_RE = re.compile(r"^[A-Za-z0-9_.+\-]+$")
_BAD_PASSWORD_CHARS = set('"\\$\r\n')
_CONTACT_RE = re.compile(r"^\s*Address:\s*(\S+)\s*$", re.M)
# kamailio.cfg.tmpl logs one such line per registration applied.
_SAVED_RE = re.compile(r"registrar saved (?P<user>\S+) at (?P<at>[\d.]+) from (?P<source>\S+) "
                       r"expires \[(?P<expires>[^\]]*)\] contact \[(?P<contact>[^\]]*)\]")
# ... and one per OPTIONS addressed to the PBX itself (a keepalive).
_KEEPALIVE_RE = re.compile(r"keepalive OPTIONS at (?P<at>[\d.]+) from (?P<source>\S+)")


@dataclass(frozen=True)
class Registration:
    """A REGISTER the PBX applied (a refresh or an un-REGISTER too)."""

    user: str
    at: float  # epoch seconds, Kamailio's clock
    source: str  # address:port it came from
    expires: int | None  # the Expires header (None: only the Contact's ;expires)
    contact: str

    @property
    def removes(self) -> bool:
        """An un-REGISTER: Expires 0, or ;expires=0 on the Contact."""
        return self.expires == 0 or bool(re.search(r";\s*expires=0\b", self.contact))


class PBXError(RuntimeError):
    """The test PBX could not be configured, started or queried."""


def _loopback(host: str) -> None:
    if not host.startswith("127."):
        raise PBXError(f"test PBX must listen on 127.0.0.0/8, not {host!r}")


def free_port(host: str = "127.0.0.1", tries: int = 50) -> int:
    """A port that is free for both UDP and TCP (SIP listens on both)."""
    for _ in range(tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
        return port
    raise PBXError("no port free on both UDP and TCP")


def _even_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1] & ~1


def _udp_free(host: str, *ports: int) -> bool:
    sockets = []
    try:
        for port in ports:
            sockets.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            sockets[-1].bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in sockets:
            s.close()


def free_media_port(host: str = "127.0.0.1", tries: int = 50) -> int:
    """An even UDP port p with p + 2 free too, for sipp's `-mp`.

    sipp 3.6 binds the audio RTP socket on `-mp` and a video one on `-mp` + 2 whether or not the
    scenario has video, and exits 254 ("Unable to bind video RTP socket") when the second is
    taken; a caller that never starts then reads as a PBX that never rang the phone."""
    for _ in range(tries):
        port = _even_udp_port(host)
        if _udp_free(host, port, port + 2):
            return port
    raise PBXError("no pair of UDP ports p, p+2 free for media")


def _check_user(user: str, password: str) -> None:
    if not _USER_RE.match(user):
        raise PBXError(f"bad extension name {user!r}")
    if _BAD_PASSWORD_CHARS & set(password):
        raise PBXError("password must not contain quotes, backslashes, '$' or newlines")


class KamailioPBX:
    """One Kamailio process group listening on host:port (UDP+TCP, optional TLS)."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        users: dict[str, str] | None = None,
        dids: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        *,
        tls: bool = False,
        tls_port: int | None = None,
        challenge_refer: bool = False,
        realm: str = "smartalex-test",
        children: int = 2,
        debug: int = 2,
        any_address: bool = False,
        contacts_per_extension: int = 1,
        peers: tuple[str, ...] = (),
    ):
        """`any_address`: listen on an address that is not loopback: the demo's, where its
        admin chose (SMARTALEX_DEMO_ADDRESS), or a test's own network namespace's
        (tests/support/netns.py); tests otherwise keep to loopback. `contacts_per_extension`:
        1 (the default) keeps only the newest registration of an extension, as most PBXs do;
                more keeps that many devices registered at once (a new one beyond is refused). `peers`:
        addresses or networks beside loopback whose calls it takes and relays to (a test
        namespace's, tests/support/netns.py; the demo's chosen address's own network)."""
        if not any_address:
            _loopback(host)
        self.workdir = Path(workdir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.users = dict(DEFAULT_USERS if users is None else users)
        # Inbound routes: public number (as dialled, e.g. "+353871234567") -> extension.
        self.dids = dict(dids or {})
        for did, extension in self.dids.items():
            if not _USER_RE.match(did) or not _USER_RE.match(extension):
                raise PBXError(f"bad inbound route {did!r} -> {extension!r}")
        for user, password in self.users.items():
            _check_user(user, password)
        self.tls = tls
        self.tls_port = (tls_port or free_port(host)) if tls else None
        # Like 3CX: an in-dialog REFER must authenticate as its sender's extension (407 first).
        self.challenge_refer = challenge_refer
        self.realm = realm
        self.children = children
        self.contacts_per_extension = contacts_per_extension
        # Parsed, so nothing but a network reaches the config.
        self.peers = tuple(str(ipaddress.ip_network(peer, strict=False)) for peer in peers)
        self.debug = debug
        self.cfg_path = self.workdir / "kamailio.cfg"
        self.log_path = self.workdir / "kamailio.log"
        self.ctl_socket = self.workdir / "kamailio_ctl"
        self.pid_path = self.workdir / "kamailio.pid"
        self._proc: subprocess.Popen | None = None
        self._log = None

    # --- lifecycle -----------------------------------------------------------

    def render(self) -> str:
        """The config text; also used by tests that want to read it."""
        users = "\n".join(f'\t$sht(auth=>{u}) = "{p}";' for u, p in self.users.items())
        values = {
            "TLS_DEFINE": "#!define WITH_TLS" if self.tls else "",
            "REFER_AUTH_DEFINE": "#!define WITH_REFER_AUTH" if self.challenge_refer else "",
            "DEBUG": str(self.debug),
            "LOG_PREFIX": f"pbx:{self.port} ",
            "CHILDREN": str(self.children),
            "HOST": self.host,
            "PORT": str(self.port),
            "TLS_PORT": str(self.tls_port or ""),
            "TLS_CERT": str(self.workdir / "tls-cert.pem"),
            "TLS_KEY": str(self.workdir / "tls-key.pem"),
            "CTL_SOCKET": str(self.ctl_socket),
            "REALM": self.realm,
            "SAVE_FLAGS": "0x04" if self.contacts_per_extension == 1 else "0x00",
            "MAX_CONTACTS": str(0 if self.contacts_per_extension == 1
                                else self.contacts_per_extension),
            "TRUSTED": ",".join(("127.0.0.0/8", "::1/128", *self.peers)),
            "USERS": users or "\t# no users",
            "DIDS": "\n".join(f'\t$sht(dids=>{d}) = "{e}";' for d, e in self.dids.items())
                    or "\t# no inbound routes",
        }
        text = TEMPLATE.read_text()
        for key, value in values.items():
            text = text.replace("{{%s}}" % key, value)
        left = re.findall(r"\{\{\w+\}\}", text)
        if left:
            raise PBXError(f"unrendered placeholders in config: {left}")
        return text

    def _make_cert(self) -> None:
        cmd = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={self.host}",
            "-keyout", str(self.workdir / "tls-key.pem"),
            "-out", str(self.workdir / "tls-cert.pem"),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise PBXError(f"could not create a self-signed certificate:\n{res.stderr}")

    def _base_cmd(self, binary: str) -> list[str]:
        shm = "64" if self.tls else "32"
        return [
            binary, "-f", str(self.cfg_path), "-m", shm, "-M", "8",
            "-Y", str(self.workdir), "-w", str(self.workdir),
        ]

    def start(self, timeout: float = 10) -> "KamailioPBX":
        """Render, check (`kamailio -c`), launch in its own process group, wait for ctl."""
        if self._proc is not None:
            raise PBXError("already started")
        binary = ensure_kamailio_installed(tls=self.tls)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.tls:
            self._make_cert()
        self.cfg_path.write_text(self.render())
        check = subprocess.run(
            [*self._base_cmd(binary), "-c"], capture_output=True, text=True, timeout=30
        )
        if check.returncode != 0:
            raise PBXError(
                f"kamailio rejected {self.cfg_path} (exit {check.returncode}):\n"
                f"{check.stdout}{check.stderr}"
            )
        self.ctl_socket.unlink(missing_ok=True)
        self._log = open(self.log_path, "ab")
        self._proc = subprocess.Popen(
            [*self._base_cmd(binary), "-DD", "-E", "-P", str(self.pid_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills all children
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._cleanup()
                raise PBXError(f"kamailio exited with {code} during start:\n{self.log_tail()}")
            if self.ctl_socket.exists() and self._kamcmd_ok("core.version"):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise PBXError(f"kamailio not ready after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 5) -> None:
        """SIGTERM the process group, SIGKILL after `timeout`; leaves no process."""
        proc = self._proc
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: pgid == pid of the main process
        self._signal_group(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(pgid, signal.SIGKILL)
            proc.wait(timeout)
        # Children may outlive the main process for a moment; make sure they are gone.
        deadline = time.monotonic() + timeout
        while self._group_alive(pgid):
            if time.monotonic() > deadline:
                self._signal_group(pgid, signal.SIGKILL)
                deadline = time.monotonic() + timeout
            time.sleep(0.05)
        self._cleanup()

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> None:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True

    def _cleanup(self) -> None:
        self._proc = None
        if self._log:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def restart(self) -> "KamailioPBX":
        """Stop and start again on the same address: every registration is forgotten (the
        location table lives in memory), as on a PBX without persistent registrations."""
        self.stop()
        return self.start()

    def __enter__(self) -> "KamailioPBX":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    # --- runtime control through kamcmd ---------------------------------------

    def kamcmd(self, *args: str, timeout: float = 5) -> str:
        """Run one RPC; numeric-looking strings must be passed as 's:VALUE'."""
        kamcmd = find_binary("kamcmd", KAMCMD) or "kamcmd"
        res = subprocess.run(
            [kamcmd, "-s", f"unix:{self.ctl_socket}", *args],
            capture_output=True, text=True, timeout=timeout,
        )
        out = res.stdout + res.stderr
        if res.returncode != 0:
            raise PBXError(f"kamcmd {' '.join(args)} failed: {out.strip()}")
        return out

    def _kamcmd_ok(self, *args: str) -> bool:
        try:
            return not self.kamcmd(*args, timeout=2).startswith("error")
        except (PBXError, subprocess.TimeoutExpired):
            return False

    def registrations(self, since: int = 0) -> list[Registration]:
        """Every REGISTER the PBX applied, in order, from byte `since` of its log on (the log's
        size before a test step: `self.log_path.stat().st_size`)."""
        with open(self.log_path, "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        found = []
        for m in _SAVED_RE.finditer(text):
            expires = m["expires"].strip()
            found.append(Registration(m["user"], float(m["at"]), m["source"],
                                      int(expires) if expires.isdigit() else None,
                                      m["contact"]))
        return found

    def keepalives(self, since: int = 0) -> list[tuple[float, str]]:
        """(when, from where) of every OPTIONS addressed to the PBX itself, from byte `since`
        of its log on."""
        with open(self.log_path, "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return [(float(m["at"]), m["source"]) for m in _KEEPALIVE_RE.finditer(text)]

    def contacts(self, user: str) -> list[str]:
        """Contact URIs currently registered for `user` ([] when none)."""
        out = self.kamcmd("ul.lookup", "location", f"s:{user}")
        if out.startswith("error"):
            if "not found" in out.lower():
                return []
            raise PBXError(f"ul.lookup {user}: {out.strip()}")
        return _CONTACT_RE.findall(out)

    def wait_for_contact(self, user: str, present: bool = True, timeout: float = 5) -> list[str]:
        """Poll until `user` has (or, present=False, has no) contact; return the contacts."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.contacts(user)
            if bool(found) == present:
                return found
            if time.monotonic() > deadline:
                state = "registered" if present else "unregistered"
                raise TimeoutError(f"{user} not {state} after {timeout}s (contacts: {found})")
            time.sleep(0.05)

    def set_password(self, user: str, password: str) -> None:
        """Change an extension's password; takes effect at once if the PBX runs."""
        _check_user(user, password)
        if self.running:
            out = self.kamcmd("htable.sets", "auth", f"s:{user}", f"s:{password}")
            if out.startswith("error"):
                raise PBXError(f"htable.sets {user}: {out.strip()}")
        self.users[user] = password

    def forbid(self, user: str, forbidden: bool = True) -> None:
        """Answer the extension's REGISTERs 403 Forbidden (or stop doing so), as a PBX does for
        an extension that may not register from outside its LAN; takes effect at once."""
        if forbidden:
            out = self.kamcmd("htable.sets", "forbidden", f"s:{user}", "s:1")
        else:
            out = self.kamcmd("htable.delete", "forbidden", f"s:{user}")
        if out.startswith("error"):
            raise PBXError(f"forbid {user}: {out.strip()}")

    def ring_all(self, number: str, members: list[str]) -> None:
        """`number` rings every registered member at once (a ring group's ring-all); when one
        answers, the PBX CANCELs the others with Reason cause 200."""
        self._group("ringall", number, members)

    def hunt(self, number: str, members: list[str], seconds: int) -> None:
        """`number` rings its registered members one after the other, each for `seconds`
        (a hunt group, or a queue's linear strategy)."""
        self._group("hunt", number, members)
        self._set("huntwait", number, f"i:{int(seconds)}")

    def overflow(self, extension: str, to: str) -> None:
        """A call `extension` answers 486 Busy goes on to extension `to`."""
        self._group("overflow", extension, [to])

    def _group(self, table: str, number: str, members: list[str]) -> None:
        for name in (number, *members):
            if not _USER_RE.match(name):
                raise PBXError(f"bad extension or group {name!r}")
        self._set(table, number, "s:" + ":".join(members))

    def _set(self, table: str, key: str, value: str) -> None:
        kind = "htable.seti" if value.startswith("i:") else "htable.sets"
        out = self.kamcmd(kind, table, f"s:{key}", value[2:] if kind == "htable.seti" else value)
        if out.startswith("error"):
            raise PBXError(f"{kind} {table} {key}: {out.strip()}")

    def add_user(self, user: str, password: str) -> None:
        """Create an extension (before or after start)."""
        self.set_password(user, password)

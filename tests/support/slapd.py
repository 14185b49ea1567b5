"""A real OpenLDAP server for tests: slapd on a free port, in a temp dir, with a seeded tree.

The server gets a generated slapd.conf (mdb backend, the stock schemas), a root DN that the
tests use to change the directory, and optionally a TLS certificate so StartTLS can be tried.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
BASE_DN = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{BASE_DN}"
ROOT_PASSWORD = "root-secret"
PEOPLE_DN = f"ou=people,{BASE_DN}"
SERVICE_DN = f"cn=togglr,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "service-secret"


def is_available() -> bool:
    return Path(SLAPD).exists() and shutil.which("ldapadd") is not None and SCHEMA_DIR.is_dir()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Slapd:
    """A running slapd. `add_user` / `delete_user` change the tree as an admin would."""

    workdir: Path
    port: int = field(default_factory=free_port)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> Slapd:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "slapd.conf"
        conf.write_text(self._config(data))
        log = (self.workdir / "slapd.log").open("wb")
        # -d 0 keeps slapd in the foreground (so we own the process) without debug output.
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", self.url, "-d", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self._wait_until_listening()
        self.ldapadd(_seed_ldif())
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _config(self, data: Path) -> str:
        schemas = "\n".join(
            f"include {SCHEMA_DIR / name}.schema"
            for name in ("core", "cosine", "inetorgperson", "nis")
        )
        tls = ""
        if self.tls_cert and self.tls_key:
            tls = f"TLSCertificateFile {self.tls_cert}\nTLSCertificateKeyFile {self.tls_key}\n"
        return f"""{schemas}
pidfile {self.workdir / "slapd.pid"}
argsfile {self.workdir / "slapd.args"}
modulepath {MODULE_DIR}
moduleload back_mdb
{tls}
database mdb
maxsize 33554432
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {data}
index objectClass eq
index uid eq

access to attrs=userPassword
  by self read
  by anonymous auth
  by * none
access to *
  by * read
"""

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"slapd exited: {(self.workdir / 'slapd.log').read_text()[-2000:]}"
                )
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("slapd did not start listening")

    def _run(self, tool: str, ldif: str) -> None:
        result = subprocess.run(
            [tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif.encode(),
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr.decode()}")

    def ldapadd(self, ldif: str) -> None:
        self._run("ldapadd", ldif)

    def ldapmodify(self, ldif: str) -> None:
        self._run("ldapmodify", ldif)

    def add_ou(self, name: str) -> str:
        """A fresh organisational unit under ou=people, so a test can own a slice of the tree."""
        dn = f"ou={name},{PEOPLE_DN}"
        self.ldapadd(f"dn: {dn}\nobjectClass: organizationalUnit\nou: {name}\n")
        return dn

    def add_user(
        self, uid: str, password: str, email: str | None = None, *, base: str = PEOPLE_DN
    ) -> str:
        dn = f"uid={uid},{base}"
        mail = f"mail: {email}\n" if email is not None else ""
        self.ldapadd(
            f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n{mail}"
            f"userPassword: {password}\n"
        )
        return dn

    def delete(self, dn: str) -> None:
        result = subprocess.run(
            ["ldapdelete", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, dn],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"ldapdelete failed: {result.stderr.decode()}")

    def set_mail(self, dn: str, email: str) -> None:
        self.ldapmodify(f"dn: {dn}\nchangetype: modify\nreplace: mail\nmail: {email}\n")


def _die_with_parent() -> None:
    # A test run that is killed must not leave slapd behind: ask Linux to stop it with us.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _seed_ldif() -> str:
    return f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: {PEOPLE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=services,{BASE_DN}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: simpleSecurityObject
objectClass: organizationalRole
cn: togglr
userPassword: {SERVICE_PASSWORD}

dn: uid=alice,{PEOPLE_DN}
objectClass: inetOrgPerson
uid: alice
cn: Alice Archer
sn: Archer
mail: alice@example.org
userPassword: alice-password

dn: uid=bob,{PEOPLE_DN}
objectClass: inetOrgPerson
uid: bob
cn: Bob Baker
sn: Baker
mail: bob@example.org
userPassword: bob-password
"""

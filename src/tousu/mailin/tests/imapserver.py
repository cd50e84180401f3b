"""A real IMAP server on loopback for ``tousu mail fetch``: pymap (a Python IMAP server)
with its in-memory backend, run as a process of its own, offering STARTTLS with a
certificate made here; and a TLS front on another port for IMAP over TLS from the first
byte (pymap offers STARTTLS only). Mails are put in and read back with imaplib, as any
mail client would."""

from __future__ import annotations

import contextlib
import datetime
import imaplib
import ipaddress
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "tousu@market.example.cn", "mailbox-pass"
START_LIMIT = 20  # seconds pymap may take to start, at most


def certificate_make(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _TlsFront:
    """Accepts TLS on its own port and relays the clear bytes to ``target``."""

    def __init__(self, cert: Path, key: Path, target: int):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target))
        threading.Thread(target=_pipe, args=(upstream, secure), daemon=True).start()
        _pipe(secure, upstream)

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


class ImapServer:
    """pymap on 127.0.0.1: ``port`` (plain or STARTTLS), ``tls_port`` (TLS)."""

    def __init__(self, directory: Path):
        self.cert, self.key = certificate_make(directory)
        self.port = _free_port()
        self.log = directory / "pymap.log"
        self.process: subprocess.Popen | None = None
        self.front: _TlsFront | None = None
        self._client: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapServer:
        command = [
            sys.executable,
            "-c",
            "from pymap.main import main; main()",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--cert", str(self.cert),
            "--key", str(self.key),
            "dict",
            "--demo-user", USER,
            "--demo-password", PASSWORD,
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_LIMIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    log = self.log.read_text()[-2000:]
                    raise RuntimeError(f"pymap did not start: {log}") from exc
                time.sleep(0.05)
        self.front = _TlsFront(self.cert, self.key, self.port)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self._client.logout()
        if self.front:
            self.front.close()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self) -> imaplib.IMAP4:
        """A mail client logged in to the test mailbox (kept: logging in takes a while)."""
        if self._client is None:
            self._client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
            self._client.login(USER, PASSWORD)
        return self._client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        assert self.client().append(folder, None, None, raw)[0] == "OK"

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """The flags of each mail in ``folder``, in order."""
        imap = self.client()
        _status, count = imap.select(folder)
        if count[0] == b"0":
            return []
        _status, data = imap.fetch("1:*", "(FLAGS)")
        found = [re.search(rb"FLAGS \(([^)]*)\)", d) for d in data if isinstance(d, bytes)]
        # \Recent only says this session is the first to see it.
        return [set(m.group(1).decode().split()) - {r"\Recent"} for m in found if m]

    def empty(self) -> None:
        """Delete every mail and folder but INBOX (between tests)."""
        imap = self.client()
        _status, count = imap.select("INBOX")  # a folder being deleted must not be selected
        _status, folders = imap.list()
        for line in folders:
            name = line.decode().rsplit(" ", 1)[-1]
            if name.strip('"') != "INBOX":
                imap.delete(name)
        if count[0] != b"0":
            imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            imap.expunge()

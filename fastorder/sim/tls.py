"""A throwaway test CA and a server certificate for 127.0.0.1 / ::1 / localhost, made with ``cryptography``.

``TestCA.create(dir)`` writes ``ca.pem`` (trust this in the client), ``server.pem`` and ``server-key.pem``.
Clients: ``ssl.create_default_context(cafile=ca.pem)`` -- verification stays on; the certificate is valid
for the loopback names only.

For the ``tls_fail`` fault it also writes three certificates a verifying client must reject
(``bad_server_context(mode)``): ``badcert`` -- the right names, issued by another, untrusted CA (what an
intercepting proxy presents); ``expired`` -- issued by the test CA, expired yesterday; ``wrongname`` -- issued by
the test CA for ``wrong.invalid`` only.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
BAD_CERTS = ("badcert", "expired", "wrongname")


def _ca(name: str, now: datetime.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, names, not_before: datetime.datetime, not_after: datetime.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    alt = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _write_chain(cert_path: str, key_path: str, key, *certs) -> None:
    with open(cert_path, "wb") as f:
        f.write(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


@dataclass
class TestCA:
    directory: str
    ca_file: str
    cert_file: str
    key_file: str

    __test__ = False  # not a pytest class

    @classmethod
    def create(cls, directory: str | None = None) -> TestCA:
        d = directory or tempfile.mkdtemp(prefix="fastorder-sim-tls-")
        now = datetime.datetime.now(datetime.timezone.utc)
        valid = (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=30))
        ca_key, ca_cert = _ca("fastorder-sim test CA", now)
        key, cert = _leaf(ca_key, ca_cert, _LOOPBACK_NAMES, *valid)
        paths = cls(d, os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"), os.path.join(d, "server-key.pem"))
        with open(paths.ca_file, "wb") as f:
            f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
        _write_chain(paths.cert_file, paths.key_file, key, cert, ca_cert)
        # certificates a verifying client must reject (fault tls_fail, modes badcert / expired / wrongname)
        rogue_key, rogue_cert = _ca("fastorder-sim intercepting proxy (untrusted)", now)
        bad = {
            "badcert": (*_leaf(rogue_key, rogue_cert, _LOOPBACK_NAMES, *valid), rogue_cert),
            "expired": (*_leaf(ca_key, ca_cert, _LOOPBACK_NAMES, now - datetime.timedelta(days=30),
                               now - datetime.timedelta(days=1)), ca_cert),
            "wrongname": (*_leaf(ca_key, ca_cert, ("wrong.invalid",), *valid), ca_cert),
        }
        for mode, (k, c, issuer) in bad.items():
            _write_chain(os.path.join(d, f"{mode}.pem"), os.path.join(d, f"{mode}-key.pem"), k, c, issuer)
        return paths

    def server_context(self) -> ssl.SSLContext:
        return self._context(self.cert_file, self.key_file)

    def bad_server_context(self, mode: str) -> ssl.SSLContext:
        """A server context presenting the ``mode`` certificate (one of ``BAD_CERTS``)."""
        if mode not in BAD_CERTS:
            raise ValueError(f"mode must be one of {BAD_CERTS}")
        return self._context(os.path.join(self.directory, f"{mode}.pem"),
                             os.path.join(self.directory, f"{mode}-key.pem"))

    @staticmethod
    def _context(cert_file: str, key_file: str) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert_file, key_file)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

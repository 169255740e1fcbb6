"""A TLS 1.3 server whose records after the handshake are a test's own, to check the compiled record layer
(csrc/fo_tls13.h) against an independent implementation: Python's ssl does the handshake (keys to a key log
file), then records are sealed and opened here with ``cryptography``'s AEADs and an HKDF-Expand-Label written
from RFC 8446 7.1 -- so a test can send what no well-behaved server would (a KeyUpdate split over records, an
alert after data, a record one byte at a time, padding, garbage) and read back exactly what the client sent
(its KeyUpdates, alerts, close_notify).

With ``tickets=N`` the handshake's own NewSessionTickets (N of them, valid for resumption against this
server) are not sent as Python's ssl wrote them: their plaintext is kept in ``Tls13Conn.tickets`` for the test
to send in records of its choosing."""

import asyncio
import hashlib
import hmac
import ssl
import struct
import tempfile

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from trhelpers import RawServer

SUITES = {
    "TLS_AES_128_GCM_SHA256": (AESGCM, 16, hashlib.sha256),
    "TLS_AES_256_GCM_SHA384": (AESGCM, 32, hashlib.sha384),
    "TLS_CHACHA20_POLY1305_SHA256": (ChaCha20Poly1305, 32, hashlib.sha256),
}
APPDATA, HANDSHAKE, ALERT, CCS = 23, 22, 21, 20
REPLY = b'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{"ok":1}'


def expand_label(secret, label, length, hashmod):
    info = struct.pack(">HB", length, 6 + len(label)) + b"tls13 " + label + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashmod).digest()
        out += t
        i += 1
    return out[:length]


class Direction:
    """One direction's key, IV and sequence number."""

    def __init__(self, suite, secret):
        self.aead_cls, self.keylen, self.hash = SUITES[suite]
        self.set(secret)

    def set(self, secret):
        self.secret = secret
        self.aead = self.aead_cls(expand_label(secret, b"key", self.keylen, self.hash))
        self.iv = expand_label(secret, b"iv", 12, self.hash)
        self.seq = 0

    def update(self):
        self.set(expand_label(self.secret, b"traffic upd", len(self.secret), self.hash))

    def nonce(self):
        return bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big"), strict=True))

    def seal(self, ctype, data, pad=0, outer=APPDATA, version=b"\x03\x03"):
        inner = data + bytes([ctype]) + b"\x00" * pad
        hdr = bytes([outer]) + version + struct.pack(">H", len(inner) + 16)
        rec = hdr + self.aead.encrypt(self.nonce(), inner, hdr)
        self.seq += 1
        return rec

    def open(self, rec):
        """(content type, content) of one whole record."""
        inner = self.aead.decrypt(self.nonce(), rec[5:], rec[:5]).rstrip(b"\x00")
        self.seq += 1
        return inner[-1], inner[:-1]


def split_records(buf):
    """(whole records, the rest)."""
    recs = []
    while len(buf) >= 5:
        n = 5 + int.from_bytes(buf[3:5], "big")
        if len(buf) < n:
            break
        recs.append(buf[:n])
        buf = buf[n:]
    return recs, buf


class Tls13Conn:
    """One accepted connection after its handshake: ``read`` (the client's next request, or an alert),
    ``send``/``seal``, and what the client sent besides (``client_key_updates``, ``client_alerts``)."""

    def __init__(self, reader, writer, suite, csecret, ssecret, pending):
        self.reader, self.writer = reader, writer
        self.suite = suite
        self.c = Direction(suite, csecret)    # the client's records
        self.s = Direction(suite, ssecret)    # ours
        self.buf = pending
        self.client_key_updates = 0
        self.client_alerts = []
        self.tickets = b""

    async def _record(self):
        while True:
            recs, rest = split_records(self.buf)
            if recs:
                self.buf = self.buf[len(recs[0]):]
                return recs[0]
            data = await self.reader.read(65536)
            if not data:
                return None
            self.buf += data

    async def read(self):
        """The client's next request (bytes up to a blank line), after any KeyUpdate (applied) and alerts
        (kept); None at EOF or after an alert."""
        got = b""
        while b"\r\n\r\n" not in got:
            rec = await self._record()
            if rec is None:
                return None
            ctype, data = self.c.open(rec)
            if ctype == HANDSHAKE:
                assert data == b"\x18\x00\x00\x01\x00", data   # the client's KeyUpdate, not requesting ours
                self.client_key_updates += 1
                self.c.update()
            elif ctype == ALERT:
                self.client_alerts.append(tuple(data))
                return None
            else:
                assert ctype == APPDATA
                got += data
        return got

    def seal(self, ctype, data, **kw):
        return self.s.seal(ctype, data, **kw)

    def key_update(self, requested):
        """Our KeyUpdate record, and our key changed after it."""
        rec = self.s.seal(HANDSHAKE, b"\x18\x00\x00\x01" + bytes([1 if requested else 0]))
        self.s.update()
        return rec

    async def send(self, data, chunks=None):
        """``data`` as it is, or in pieces of the sizes in ``chunks`` (cycled), one write per loop turn."""
        if not chunks:
            self.writer.write(data)
            await self.writer.drain()
            return
        i = 0
        while data:
            n = chunks[i % len(chunks)]
            self.writer.write(data[:n])
            await self.writer.drain()
            data = data[n:]
            i += 1
            await asyncio.sleep(0)

    def reset(self):
        import socket

        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


class Tls13Peer(RawServer):
    """``async with Tls13Peer(cert, script) as p``: each connection's handshake, then ``await script(conn)``;
    an assertion failing in a script is raised at exit."""

    def __init__(self, cert, script, *, tickets=0):
        super().__init__(self._serve)
        self.keylog = tempfile.NamedTemporaryFile(suffix=".keys", delete=False)
        self.keylog.close()
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.ctx)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.ctx.num_tickets = tickets
        self.ctx.keylog_filename = self.keylog.name
        self.script = script
        self.errors = []
        self.conns = []

    async def __aexit__(self, *exc):
        await super().__aexit__(*exc)
        if self.errors and exc[0] is None:
            raise self.errors[0]

    async def _serve(self, reader, writer):
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = self.ctx.wrap_bio(inc, out, server_side=True)
        try:
            while True:
                try:
                    obj.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    writer.write(out.read())
                    data = await reader.read(65536)
                    if not data:
                        return
                    inc.write(data)
                except ssl.SSLError:   # the client refused the handshake (a test of that)
                    return
            keys = {}
            with open(self.keylog.name) as f:
                for line in f:   # the last of each: this connection's (connections here are one at a time)
                    parts = line.split()
                    if len(parts) == 3 and not line.startswith("#"):
                        keys[parts[0]] = bytes.fromhex(parts[2])
            conn = Tls13Conn(reader, writer, obj.cipher()[0], keys["CLIENT_TRAFFIC_SECRET_0"],
                             keys["SERVER_TRAFFIC_SECRET_0"], inc.read())
            # What Python's ssl wrote after its Finished (its NewSessionTickets, under our key from sequence 0):
            # kept as plaintext, not sent; our own records start from sequence 0 again.
            recs, _ = split_records(out.read())
            for rec in recs:
                ctype, data = conn.s.open(rec)
                assert ctype == HANDSHAKE and data[0] == 4, (ctype, data[:1])
                conn.tickets += data
            conn.s.seq = 0
            self.conns.append(conn)
            await self.script(conn)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            raise   # the client went away: RawServer ends the connection quietly
        except Exception as e:   # an assertion in a script: raised by __aexit__
            self.errors.append(e)

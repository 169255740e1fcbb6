"""TLS settings for the compiled TLS path: one OpenSSL ``SSL_CTX`` per ``TlsConfig``, verifying exactly as the
``ssl.SSLContext`` it mirrors.

``TlsConfig()`` is what ``ssl.create_default_context()`` is: the system CA store, hostname check, TLS 1.2 or
later, Python's cipher list and options.  ``TlsConfig(ctx)`` copies a user's context: its verify mode, hostname
check and common-name fallback, protocol versions, options, ciphers, security level, verify flags and CA
certificates (``get_ca_certs(binary_form=True)``; a context with the default CA store gets the default CA
file and directory as Python's ``ssl`` finds them, ``ssl.get_default_verify_paths()``).  What a context does
not reveal is not guessed: CA directories loaded with ``capath=`` (pass ``capath=`` here too), client
certificates (not supported), CRLs (refused: ConfigError).

``record_layer`` chooses who seals and opens TLS 1.3 application data once OpenSSL has finished the handshake:
"compiled" (the default; the link's own record layer, fewer instructions per record) or "openssl".

Per connection (``fastorder.transport.link``) the ``SSL`` object gets SNI (not for an IP address, as Python),
the host name or IP address to verify, ALPN ``http/1.1`` and the last session this config saw from that
server, so a reconnect resumes instead of doing a full handshake.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport uint64_t

from fastorder.transport._ssl cimport (
    SSL, SSL_CTX, SSL_CTX_clear_options, SSL_CTX_free, SSL_CTX_get0_param, SSL_CTX_get_cert_store,
    SSL_CTX_get_options, SSL_CTX_load_verify_locations, SSL_CTX_new, SSL_CTX_sess_set_new_cb,
    SSL_CTX_set_alpn_protos, SSL_CTX_set_cipher_list, SSL_CTX_set_ciphersuites,
    SSL_CTX_set_max_proto_version, SSL_CTX_set_min_proto_version, SSL_CTX_set_options,
    SSL_CTX_set_security_level, SSL_CTX_set_session_cache_mode, SSL_CTX_set_verify, SSL_ERROR_SSL,
    SSL_ERROR_SYSCALL, SSL_ERROR_ZERO_RETURN, SSL_OP_NO_RENEGOTIATION, SSL_SESS_CACHE_CLIENT,
    SSL_SESS_CACHE_NO_INTERNAL_STORE, SSL_SESSION, SSL_SESSION_free, SSL_SESSION_is_resumable, SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
    SSL_VERIFY_NONE, SSL_VERIFY_PEER, SSL_get0_param, SSL_get_ex_data, SSL_get_ex_new_index, SSL_get_verify_result,
    SSL_set_ex_data, SSL_set_session, SSL_set_tlsext_host_name, TLS_client_method, X509, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, X509_STORE_add_cert, X509_V_FLAG_CRL_CHECK, X509_V_FLAG_CRL_CHECK_ALL, X509_V_OK,
    X509_VERIFY_PARAM, X509_VERIFY_PARAM_clear_flags, X509_VERIFY_PARAM_get_flags, X509_VERIFY_PARAM_set1_host,
    X509_VERIFY_PARAM_set1_ip_asc, X509_VERIFY_PARAM_set_flags, X509_VERIFY_PARAM_set_hostflags, X509_free,
    X509_verify_cert_error_string, d2i_X509, ERR_clear_error, ERR_error_string_n, ERR_get_error,
    ERR_reason_error_string,
)

import ipaddress
import os
import ssl as _ssl

from fastorder.errors import ConfigError, TlsCertificateError, TlsError

__all__ = ["TlsConfig", "TlsError", "TlsCertificateError", "ktls_available"]


# Who seals and opens TLS 1.3 application-data records after OpenSSL's handshake: "compiled" (the link's own
# record layer, csrc/fo_tls13.h: one keyed cipher context per direction, no per-record EVP set-up) or
# "openssl" (SSL_write/SSL_read).  TLS 1.2 and suites the compiled layer does not know always use OpenSSL's.
RECORD_LAYERS = ("compiled", "openssl")

cdef int _EX_CFG = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL)
cdef int _EX_HOST = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL)
cdef bytes _ALPN = b"\x08http/1.1"   # WebSocket upgrades are HTTP/1.1 requests too


cdef class _Session:
    cdef SSL_SESSION *s

    def __dealloc__(self):
        if self.s != NULL:
            SSL_SESSION_free(self.s)


cdef int _new_session(SSL *s, SSL_SESSION *sess) noexcept with gil:
    """OpenSSL hands over a session (after the handshake, or a TLS 1.3 ticket later): keep the latest per
    server, owning it (return 1), for the next connection to resume."""
    cdef void *cfg = SSL_get_ex_data(s, _EX_CFG)
    cdef void *host = SSL_get_ex_data(s, _EX_HOST)
    cdef _Session keep
    if cfg == NULL or host == NULL or not SSL_SESSION_is_resumable(sess):
        return 0
    try:
        keep = _Session.__new__(_Session)
        keep.s = sess
        (<TlsConfig>cfg).sessions[<object>host] = keep
        return 1
    except BaseException:
        return 0   # not kept: OpenSSL frees it


cdef list _default_cas = None


cdef list _default_ca_ders():
    global _default_cas
    if _default_cas is None:
        _default_cas = _ssl.create_default_context().get_ca_certs(binary_form=True)
    return _default_cas


cdef str _openssl_error(str what):
    """``what`` and OpenSSL's first queued error, as ssl.SSLError words it ("[SSL: NAME] reason")."""
    cdef unsigned long e = ERR_get_error()
    cdef const char *r
    cdef char buf[256]
    if e == 0:
        return what
    r = ERR_reason_error_string(e)
    ERR_clear_error()
    if r == NULL:
        ERR_error_string_n(e, buf, sizeof(buf))
        return f"{what}: {buf.decode('utf-8', 'replace')}"
    reason = r.decode("utf-8", "replace")
    return f"{what}: [SSL: {reason.upper().replace(' ', '_')}] {reason}"


cdef object tls_failure(SSL *s, int ret, int err, bint handshake):
    """The typed error for a failed SSL_do_handshake/SSL_read/SSL_write (``err`` from SSL_get_error)."""
    cdef long vr
    cdef str reason
    if handshake:
        vr = SSL_get_verify_result(s)
        if vr != X509_V_OK:
            ERR_clear_error()
            reason = X509_verify_cert_error_string(vr).decode("utf-8", "replace")
            return TlsCertificateError(f"certificate verify failed: {reason}", reason=reason, verify_code=vr)
    if err == SSL_ERROR_SYSCALL:
        ERR_clear_error()
        return TlsError("TLS: the connection ended in the middle of a record")
    if err == SSL_ERROR_ZERO_RETURN:
        return TlsError("TLS: the server closed the connection (close_notify)")
    return TlsError(_openssl_error("TLS " + ("handshake failed" if handshake else "record error")))


def ktls_available():
    """Does this kernel offer kernel TLS (the ``tls`` TCP upper-layer protocol)?  Read from
    /proc/sys/net/ipv4/tcp_available_ulp: the module is loaded or built in."""
    try:
        with open("/proc/sys/net/ipv4/tcp_available_ulp") as f:
            return "tls" in f.read().split()
    except OSError:
        return False


cdef class TlsConfig:
    """TLS settings shared by a pool's connections (and their resumable sessions).  See the module doc."""

    def __cinit__(self):
        self.ctx = NULL
        self.sessions = {}

    def __dealloc__(self):
        if self.ctx != NULL:
            SSL_CTX_free(self.ctx)

    def __init__(self, ssl_context=None, *, cafile=None, capath=None, cadata=None, record_layer="compiled"):
        cdef X509_VERIFY_PARAM *param
        cdef uint64_t opts
        if record_layer not in RECORD_LAYERS:
            raise ConfigError(f"record_layer must be one of {RECORD_LAYERS}, not {record_layer!r}",
                              field="record_layer")
        self.record_layer = record_layer
        default = ssl_context is None
        ctx = _ssl.create_default_context() if default else ssl_context
        if not isinstance(ctx, _ssl.SSLContext):
            raise ConfigError("ssl_context must be an ssl.SSLContext", field="ssl_context")
        if ctx.protocol not in (_ssl.PROTOCOL_TLS_CLIENT, _ssl.PROTOCOL_TLS):
            raise ConfigError("ssl_context is not a client context (use ssl.PROTOCOL_TLS_CLIENT)",
                              field="ssl_context")
        flags = int(ctx.verify_flags)
        if flags & (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL):
            raise ConfigError("ssl_context checks CRLs, which the compiled TLS path cannot copy; "
                              "use tls_engine='loop'", field="ssl_context")
        self.ctx = SSL_CTX_new(TLS_client_method())
        if self.ctx == NULL:
            raise MemoryError(_openssl_error("SSL_CTX_new"))
        SSL_CTX_clear_options(self.ctx, SSL_CTX_get_options(self.ctx))
        # Python's options as they are, and no renegotiation (no venue asks for it; TLS 1.3 has none).
        opts = <uint64_t>int(ctx.options)
        SSL_CTX_set_options(self.ctx, opts | SSL_OP_NO_RENEGOTIATION)
        if not SSL_CTX_set_min_proto_version(self.ctx, _version(ctx.minimum_version)) or \
                not SSL_CTX_set_max_proto_version(self.ctx, _version(ctx.maximum_version)):
            raise ConfigError(_openssl_error("unsupported TLS version bounds"))
        SSL_CTX_set_security_level(self.ctx, ctx.security_level)
        ciphers = ctx.get_ciphers()
        tls12 = ":".join(c["name"] for c in ciphers if c["protocol"] != "TLSv1.3").encode("ascii")
        tls13 = ":".join(c["name"] for c in ciphers if c["protocol"] == "TLSv1.3").encode("ascii")
        if tls12 and not SSL_CTX_set_cipher_list(self.ctx, tls12):
            raise ConfigError(_openssl_error("cipher list"))
        if not SSL_CTX_set_ciphersuites(self.ctx, tls13):
            raise ConfigError(_openssl_error("TLS 1.3 cipher suites"))
        self.verify = ctx.verify_mode != _ssl.CERT_NONE
        if ctx.verify_mode == _ssl.CERT_REQUIRED:
            SSL_CTX_set_verify(self.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL)
        elif ctx.verify_mode == _ssl.CERT_OPTIONAL:
            SSL_CTX_set_verify(self.ctx, SSL_VERIFY_PEER, NULL)
        else:
            SSL_CTX_set_verify(self.ctx, SSL_VERIFY_NONE, NULL)
        param = SSL_CTX_get0_param(self.ctx)
        X509_VERIFY_PARAM_clear_flags(param, X509_VERIFY_PARAM_get_flags(param))
        X509_VERIFY_PARAM_set_flags(param, <unsigned long>flags)
        self.check_hostname = ctx.check_hostname
        self.hostflags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS   # as CPython's _ssl sets for every context
        if not ctx.hostname_checks_common_name:
            self.hostflags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT
        # CA certificates: the default store as OpenSSL's default paths (file and directory, as
        # load_default_certs), anything else certificate by certificate.
        ders = ctx.get_ca_certs(binary_form=True)
        if default or (ders and ders == _default_ca_ders()):
            # The default store as Python's ssl finds it (its OpenSSL's file and directory, SSL_CERT_FILE /
            # SSL_CERT_DIR honoured), not this module's OpenSSL's build-time paths: a wheel carries its own
            # libssl, whose compiled-in directory may not exist on this machine.
            paths = _ssl.get_default_verify_paths()
            if paths.cafile is not None or paths.capath is not None:
                self._load_locations(None if paths.cafile is None else os.fsencode(paths.cafile),
                                     None if paths.capath is None else os.fsencode(paths.capath))
        else:
            for der in ders:
                self._add_ca(der)
        if cadata is not None:
            extra = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
            extra.load_verify_locations(cadata=cadata)
            for der in extra.get_ca_certs(binary_form=True):
                self._add_ca(der)
        if cafile is not None or capath is not None:
            self._load_locations(None if cafile is None else os.fsencode(cafile),
                                 None if capath is None else os.fsencode(capath))
        if SSL_CTX_set_alpn_protos(self.ctx, <const unsigned char *>PyBytes_AS_STRING(_ALPN),
                                   <unsigned int>PyBytes_GET_SIZE(_ALPN)) != 0:
            raise ConfigError(_openssl_error("ALPN"))
        SSL_CTX_set_session_cache_mode(self.ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE)
        SSL_CTX_sess_set_new_cb(self.ctx, _new_session)

    def _load_locations(self, bytes cafile, bytes capath):
        cdef const char *f = NULL if cafile is None else PyBytes_AS_STRING(cafile)
        cdef const char *d = NULL if capath is None else PyBytes_AS_STRING(capath)
        if not SSL_CTX_load_verify_locations(self.ctx, f, d):
            raise ConfigError(_openssl_error("cannot load the CA file/directory"))

    def _add_ca(self, bytes der):
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(der)
        cdef X509 *x = d2i_X509(NULL, &p, PyBytes_GET_SIZE(der))
        if x == NULL:
            raise ConfigError(_openssl_error("unreadable CA certificate"))
        X509_STORE_add_cert(SSL_CTX_get_cert_store(self.ctx), x)   # takes its own reference
        X509_free(x)
        ERR_clear_error()   # a duplicate certificate is not an error

    cdef int configure(self, SSL *s, str server_hostname) except -1:
        """A new connection to ``server_hostname``: SNI, the name (or address) to verify, the session to resume."""
        cdef X509_VERIFY_PARAM *param = SSL_get0_param(s)
        cdef bytes name
        cdef _Session sess
        if not server_hostname:
            raise ConfigError("TLS needs the server's host name", field="server_hostname")
        host = server_hostname.strip("[]")
        try:
            ipaddress.ip_address(host)
            is_ip = True
        except ValueError:
            is_ip = False
        if is_ip:
            name = host.encode("ascii")
            if self.check_hostname and not X509_VERIFY_PARAM_set1_ip_asc(param, name):
                raise ConfigError(f"invalid IP address {host!r}", field="server_hostname")
        else:
            name = host.encode("idna")
            if not SSL_set_tlsext_host_name(s, name):
                raise ConfigError(_openssl_error("SNI"))
            if self.check_hostname and not X509_VERIFY_PARAM_set1_host(param, name, len(name)):
                raise ConfigError(f"invalid host name {host!r}", field="server_hostname")
        X509_VERIFY_PARAM_set_hostflags(param, self.hostflags)
        SSL_set_ex_data(s, _EX_CFG, <void *>self)
        SSL_set_ex_data(s, _EX_HOST, <void *>server_hostname)   # the Link keeps the str alive
        sess = self.sessions.get(server_hostname)
        if sess is not None:
            SSL_set_session(s, sess.s)
        return 0

    def forget_sessions(self):
        """Drop the sessions kept for resumption (the next connection to each server does a full handshake)."""
        self.sessions.clear()


cdef int _version(v) except? -1:
    if v == _ssl.TLSVersion.MINIMUM_SUPPORTED or v == _ssl.TLSVersion.MAXIMUM_SUPPORTED:
        return 0   # OpenSSL: no bound
    return int(v)

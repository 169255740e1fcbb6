# Declarations of the parts of OpenSSL's libssl/libcrypto the compiled TLS path uses (fastorder.transport.tls
# and .link).  No .pyx: cimporting this file pulls in C declarations only.  Several names are macros in the
# headers; Cython emits them as written.
from libc.stdint cimport uint64_t


cdef extern from "openssl/ssl.h" nogil:
    ctypedef struct SSL_CTX
    ctypedef struct SSL
    ctypedef struct SSL_SESSION
    ctypedef struct SSL_METHOD
    ctypedef struct SSL_CIPHER
    ctypedef struct BIO
    ctypedef struct BIO_METHOD
    ctypedef struct X509
    ctypedef struct X509_STORE
    ctypedef struct X509_VERIFY_PARAM

    int SSL_VERIFY_NONE
    int SSL_VERIFY_PEER
    int SSL_VERIFY_FAIL_IF_NO_PEER_CERT
    int SSL_ERROR_NONE
    int SSL_ERROR_SSL
    int SSL_ERROR_WANT_READ
    int SSL_ERROR_WANT_WRITE
    int SSL_ERROR_SYSCALL
    int SSL_ERROR_ZERO_RETURN
    long SSL_SESS_CACHE_CLIENT
    long SSL_SESS_CACHE_NO_INTERNAL_STORE
    uint64_t SSL_OP_NO_RENEGOTIATION
    uint64_t SSL_OP_ENABLE_KTLS
    long SSL_MODE_ENABLE_PARTIAL_WRITE
    long SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
    int SSL_KEY_UPDATE_NONE
    int SSL_KEY_UPDATE_NOT_REQUESTED
    int SSL_SENT_SHUTDOWN
    int SSL_RECEIVED_SHUTDOWN
    int TLS1_2_VERSION
    int TLS1_3_VERSION

    const SSL_METHOD *TLS_client_method()
    SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
    void SSL_CTX_free(SSL_CTX *ctx)
    uint64_t SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op)
    uint64_t SSL_CTX_clear_options(SSL_CTX *ctx, uint64_t op)
    uint64_t SSL_CTX_get_options(const SSL_CTX *ctx)
    long SSL_CTX_set_mode(SSL_CTX *ctx, long mode)
    int SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version)
    int SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version)
    void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, void *cb)
    int SSL_CTX_set_default_verify_paths(SSL_CTX *ctx)
    int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *cafile, const char *capath)
    X509_STORE *SSL_CTX_get_cert_store(const SSL_CTX *ctx)
    X509_VERIFY_PARAM *SSL_CTX_get0_param(SSL_CTX *ctx)
    int SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *s)
    int SSL_CTX_set_ciphersuites(SSL_CTX *ctx, const char *s)
    void SSL_CTX_set_security_level(SSL_CTX *ctx, int level)
    int SSL_CTX_set_alpn_protos(SSL_CTX *ctx, const unsigned char *protos, unsigned int n)
    long SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode)
    void SSL_CTX_sess_set_new_cb(SSL_CTX *ctx, int (*cb)(SSL *, SSL_SESSION *) noexcept)
    void SSL_CTX_set_keylog_callback(SSL_CTX *ctx, void (*cb)(const SSL *, const char *) noexcept)

    SSL *SSL_new(SSL_CTX *ctx)
    void SSL_free(SSL *s)
    void SSL_set_bio(SSL *s, BIO *rbio, BIO *wbio)
    void SSL_set_connect_state(SSL *s)
    int SSL_set_tlsext_host_name(SSL *s, const char *name)
    X509_VERIFY_PARAM *SSL_get0_param(SSL *s)
    int SSL_set_session(SSL *s, SSL_SESSION *sess)
    int SSL_session_reused(const SSL *s)
    int SSL_do_handshake(SSL *s)
    int SSL_is_init_finished(const SSL *s)
    int SSL_read(SSL *s, void *buf, int num)
    int SSL_write(SSL *s, const void *buf, int num)
    int SSL_get_error(const SSL *s, int ret)
    int SSL_version(const SSL *s)
    int SSL_shutdown(SSL *s)
    int SSL_get_shutdown(const SSL *s)
    long SSL_get_verify_result(const SSL *s)
    const char *SSL_get_version(const SSL *s)
    const SSL_CIPHER *SSL_get_current_cipher(const SSL *s)
    const char *SSL_CIPHER_get_name(const SSL_CIPHER *c)
    void SSL_get0_alpn_selected(const SSL *s, const unsigned char **data, unsigned int *n)
    int SSL_pending(const SSL *s)
    int SSL_has_pending(const SSL *s)
    int SSL_set_ex_data(SSL *s, int idx, void *data)
    void *SSL_get_ex_data(const SSL *s, int idx)
    int SSL_get_ex_new_index(long argl, void *argp, void *newf, void *dupf, void *freef)
    int SSL_key_update(SSL *s, int updatetype)
    int SSL_get_key_update_type(const SSL *s)
    int SSL_SESSION_is_resumable(const SSL_SESSION *s)
    void SSL_SESSION_free(SSL_SESSION *s)

cdef extern from "openssl/bio.h" nogil:
    BIO *BIO_new(const BIO_METHOD *m)
    const BIO_METHOD *BIO_s_mem()
    int BIO_write(BIO *b, const void *data, int n)
    int BIO_read(BIO *b, void *data, int n)
    long BIO_get_mem_data(BIO *b, char **pp)
    int BIO_reset(BIO *b)
    void BIO_set_mem_eof_return(BIO *b, int v)
    size_t BIO_ctrl_pending(BIO *b)
    int BIO_free(BIO *b)

cdef extern from "openssl/x509.h" nogil:
    X509 *d2i_X509(X509 **px, const unsigned char **inp, long n)
    void X509_free(X509 *x)
    int X509_STORE_add_cert(X509_STORE *store, X509 *x)

cdef extern from "openssl/x509_vfy.h" nogil:
    int X509_V_OK
    unsigned long X509_V_FLAG_CRL_CHECK
    unsigned long X509_V_FLAG_CRL_CHECK_ALL
    const char *X509_verify_cert_error_string(long n)
    int X509_VERIFY_PARAM_set1_host(X509_VERIFY_PARAM *p, const char *name, size_t namelen)
    int X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM *p, const char *ipasc)
    void X509_VERIFY_PARAM_set_hostflags(X509_VERIFY_PARAM *p, unsigned int flags)
    int X509_VERIFY_PARAM_set_flags(X509_VERIFY_PARAM *p, unsigned long flags)
    int X509_VERIFY_PARAM_clear_flags(X509_VERIFY_PARAM *p, unsigned long flags)
    unsigned long X509_VERIFY_PARAM_get_flags(const X509_VERIFY_PARAM *p)

cdef extern from "openssl/x509v3.h" nogil:
    unsigned int X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS
    unsigned int X509_CHECK_FLAG_NEVER_CHECK_SUBJECT

cdef extern from "openssl/err.h" nogil:
    unsigned long ERR_get_error()
    unsigned long ERR_peek_last_error()
    unsigned long ERR_peek_error()
    void ERR_clear_error()
    void ERR_error_string_n(unsigned long e, char *buf, size_t n)
    const char *ERR_reason_error_string(unsigned long e)

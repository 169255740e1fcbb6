/* One TLS 1.3 record sealed and opened by OpenSSL's SSL_write/SSL_read against the compiled record layer
 * (csrc/fo_tls13.h, the code fastorder's link runs), on the same connection's keys.  Driven by
 * bench/tls_records.py.
 *
 *   tls_records CERT KEY SUITE SIZE N      prints ns per call of each, N records each, 5 interleaved rounds
 *
 * A client and a server SSL over memory BIOs do a real handshake (SUITE: a TLS 1.3 suite name); the client's
 * traffic secrets reach a fo_tls13 through the key log callback, as in the link.  Then, per round:
 *   SSL_write   the client writes SIZE bytes (one record; the write BIO emptied after each, as the link does)
 *   seal        fo_tls13_seal of the same SIZE bytes under the client's key
 *   SSL_read    the client reads one of N records the server sealed (memory BIO in, plaintext out)
 *   open        fo_tls13_open of the same records under the server's key
 * The bench_* wrappers are not inlined so callgrind can count each on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fo_tls13.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "tls_records: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* move what one side wrote to the other side's read BIO */
static void pump(SSL *from, SSL *to)
{
    char buf[65536];
    int n;
    while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof(buf))) > 0)
        BIO_write(SSL_get_rbio(to), buf, n);
}

__attribute__((noinline)) static int bench_ssl_write(SSL *c, const unsigned char *p, int n)
{
    int r = SSL_write(c, p, n);
    (void)BIO_reset(SSL_get_wbio(c));
    return r;
}

__attribute__((noinline)) static long bench_seal(fo_tls13 *t, const unsigned char *p, size_t n, unsigned char *out)
{
    return fo_tls13_seal(&t->w, FO_CT_APPDATA, p, n, out);
}

__attribute__((noinline)) static int bench_ssl_read(SSL *c, const unsigned char *rec, int rlen, unsigned char *out)
{
    BIO_write(SSL_get_rbio(c), rec, rlen);
    return SSL_read(c, out, 65536);
}

__attribute__((noinline)) static long bench_open(fo_tls13 *t, const unsigned char *rec, size_t rlen,
                                                 unsigned char *out)
{
    size_t outlen;
    int type;
    return fo_tls13_open(&t->r, rec, rlen, out, &outlen, &type);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    SSL_CTX *sctx, *cctx;
    SSL *s, *c;
    fo_tls13 *t;
    unsigned char *msg, *out, *recs;
    size_t size, rlen;
    long n, i;
    int round, k, r;
    double times[4][5], t0;
    const char *names[4] = {"SSL_write", "seal", "SSL_read", "open"};

    if (argc != 6)
        die("usage: tls_records CERT KEY SUITE SIZE N");
    size = (size_t)atol(argv[4]);
    n = atol(argv[5]);
    if (size == 0 || size > FO_TLS13_MAX_PLAIN || n <= 0)
        die("SIZE 1..16384, N > 0");

    sctx = SSL_CTX_new(TLS_server_method());
    cctx = SSL_CTX_new(TLS_client_method());
    if (!sctx || !cctx || SSL_CTX_use_certificate_chain_file(sctx, argv[1]) != 1
            || SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1)
        die("server context");
    SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
    if (SSL_CTX_set_ciphersuites(sctx, argv[3]) != 1 || SSL_CTX_set_ciphersuites(cctx, argv[3]) != 1)
        die("suite");
    SSL_CTX_set_num_tickets(sctx, 0);
    SSL_CTX_set_keylog_callback(cctx, fo_tls13_keylog);
    s = SSL_new(sctx);
    c = SSL_new(cctx);
    SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_bio(c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    t = fo_tls13_new(UINT64_MAX);
    SSL_set_ex_data(c, fo_tls13_index(), t);
    for (k = 0; k < 10 && !(SSL_is_init_finished(c) && SSL_is_init_finished(s)); k++) {
        SSL_do_handshake(c);
        pump(c, s);
        SSL_do_handshake(s);
        pump(s, c);
    }
    if (!SSL_is_init_finished(c) || fo_tls13_start(t, c) != 0)
        die("handshake / record layer start");

    msg = malloc(size);
    out = malloc(65536);
    rlen = size + FO_TLS13_OVERHEAD;
    recs = malloc(rlen * (size_t)n);
    memset(msg, 'a', size);
    for (round = 0; round < 5; round++) {
        /* the server's next N records, for SSL_read and open alike */
        for (i = 0; i < n; i++) {
            if (SSL_write(s, msg, (int)size) != (int)size || BIO_read(SSL_get_wbio(s), recs + i * rlen, (int)rlen)
                    != (int)rlen)
                die("server records");
        }
        t0 = now_ns();
        for (i = 0; i < n; i++)
            if (bench_ssl_write(c, msg, (int)size) != (int)size)
                die("SSL_write");
        times[0][round] = (now_ns() - t0) / n;
        t0 = now_ns();
        for (i = 0; i < n; i++)
            if (bench_seal(t, msg, size, out) != (long)rlen)
                die("seal");
        times[1][round] = (now_ns() - t0) / n;
        t0 = now_ns();
        for (i = 0; i < n; i++)
            if (bench_ssl_read(c, recs + i * rlen, (int)rlen, out) != (int)size)
                die("SSL_read");
        times[2][round] = (now_ns() - t0) / n;
        t0 = now_ns();
        for (i = 0; i < n; i++)
            if ((r = (int)bench_open(t, recs + i * rlen, rlen, out)) != (int)rlen)
                die("open");
        times[3][round] = (now_ns() - t0) / n;
    }
    for (k = 0; k < 4; k++) {
        qsort(times[k], 5, sizeof(double), cmp);
        printf("%s %.1f\n", names[k], times[k][2]);
    }
    printf("cipher %s\n", SSL_CIPHER_get_name(SSL_get_current_cipher(c)));
    fo_tls13_free(t);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    free(msg);
    free(out);
    free(recs);
    return 0;
}

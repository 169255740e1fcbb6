/* A minimal HTTP/1.1 keep-alive server whose TLS costs little: OpenSSL does the TLS 1.3 handshake, then
 * records are sealed and opened by csrc/fo_tls13.h (the record layer fastorder's client runs), so a
 * client's TLS p50 can be read against its plaintext p50 without a server's own record layer (nginx: 11-14 µs
 * per round trip) inside the difference.  Driven by bench/transport_http.py --c-server.
 *
 *   tls13_http_server PORT BODY [CERT KEY]    plaintext, or TLS 1.3 with CERT/KEY; one client at a time
 *
 * Every request (head up to a blank line, then Content-Length bytes) gets "200 OK" with BODY as JSON.  No
 * session tickets are sent.  Blocking sockets, TCP_NODELAY; a connection ends at EOF, a close_notify or any
 * record that does not open.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fo_tls13.h"

#define BUF (1 << 18)

static char reply[4096];
static size_t reply_len;

static int send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Length of the first whole request in p[:n] (head and body), 0 if not all there yet. */
static size_t request_len(const char *p, size_t n)
{
    const char *end = memmem(p, n, "\r\n\r\n", 4), *h;
    size_t head, body = 0;
    if (end == NULL)
        return 0;
    head = (size_t)(end - p) + 4;
    for (h = p; h < end; h++) {
        if ((h == p || h[-1] == '\n') && (size_t)(end - h) > 15 && strncasecmp(h, "content-length:", 15) == 0) {
            body = strtoul(h + 15, NULL, 10);
            break;
        }
    }
    return n >= head + body ? head + body : 0;
}

/* One connection: read, answer each whole request, until EOF or an error. */
static void serve(int fd, fo_tls13 *t)
{
    static unsigned char in[BUF], plain[BUF], out[BUF];
    size_t ilen = 0, plen = 0, outlen, q;
    long r;
    int type;
    for (;;) {
        ssize_t got = recv(fd, in + ilen, BUF - ilen, 0);
        if (got <= 0)
            return;
        ilen += (size_t)got;
        if (t == NULL) {
            memcpy(plain + plen, in, ilen);
            plen += ilen;
            ilen = 0;
        } else {
            size_t off = 0;
            while ((r = fo_tls13_open(&t->r, in + off, ilen - off, plain + plen, &outlen, &type)) > 0) {
                off += (size_t)r;
                if (type == FO_CT_ALERT)
                    return;   /* close_notify (or any alert): the connection ends */
                if (type == FO_CT_APPDATA)
                    plen += outlen;
                /* handshake messages (a client KeyUpdate) are not expected from the bench clients */
            }
            if (r < 0)
                return;
            memmove(in, in + off, ilen - off);
            ilen -= off;
        }
        while ((q = request_len((const char *)plain, plen)) > 0) {
            if (t == NULL) {
                if (send_all(fd, (const unsigned char *)reply, reply_len) < 0)
                    return;
            } else {
                r = fo_tls13_seal(&t->w, FO_CT_APPDATA, (const unsigned char *)reply, reply_len, out);
                if (r < 0 || send_all(fd, out, (size_t)r) < 0)
                    return;
            }
            memmove(plain, plain + q, plen - q);
            plen -= q;
        }
        if (plen > BUF / 2)
            return;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    int ls, fd, one = 1;
    SSL_CTX *ctx = NULL;
    const char *body;
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: tls13_http_server PORT BODY [CERT KEY]\n");
        return 2;
    }
    body = argv[2];
    reply_len = (size_t)snprintf(reply, sizeof(reply),
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                 strlen(body), body);
    if (reply_len >= sizeof(reply))
        return 2;
    if (argc == 5) {
        ctx = SSL_CTX_new(TLS_server_method());
        if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, argv[3]) != 1
                || SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1) {
            ERR_print_errors_fp(stderr);
            return 1;
        }
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_num_tickets(ctx, 0);
        SSL_CTX_set_keylog_callback(ctx, fo_tls13_keylog);
    }
    ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 16) < 0) {
        perror("bind/listen");
        return 1;
    }
    for (;;) {
        fo_tls13 *t = NULL;
        SSL *s = NULL;
        fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (ctx != NULL) {
            s = SSL_new(ctx);
            t = fo_tls13_new(UINT64_MAX);
            SSL_set_fd(s, fd);
            SSL_set_ex_data(s, fo_tls13_index(), t);
            if (SSL_accept(s) != 1 || fo_tls13_start(t, s) != 0) {
                ERR_clear_error();
                fo_tls13_free(t);
                SSL_free(s);
                close(fd);
                continue;
            }
        }
        serve(fd, t);
        fo_tls13_free(t);
        if (s != NULL)
            SSL_free(s);   /* no close_notify sent: OpenSSL's write state is stale after the handshake */
        close(fd);
    }
}

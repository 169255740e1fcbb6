/* fo_bench_peer: the C floor for the transport benchmarks (bench/transport_ws.py, bench/transport_http.py).
 *
 *   fo_bench_peer ws-server PORT [spin]            minimal RFC 6455 echo server (one client at a time)
 *   fo_bench_peer ws-client PORT N SIZE [spin]     N masked text round trips of SIZE bytes
 *   fo_bench_peer http-client PORT N PATH BODYLEN [spin]  N keep-alive POSTs (nginx returns a fixed body)
 *
 * Clients print one JSON line: per-round-trip percentiles (ns) and CPU (user+sys) per round trip.
 * "spin" polls recv(MSG_DONTWAIT) instead of blocking, like fastorder's spin mode.
 * FO_GAP_US=N in the environment: the clients sleep N µs (nanosleep) before each measured round trip.
 * Build: cc -O2 -o fo_bench_peer fo_bench_peer.c -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int spin;
static long gap_us;   /* FO_GAP_US: idle time before each measured round trip (sporadic mode) */

static void gap(void) {
    if (gap_us > 0) {
        struct timespec ts = {gap_us / 1000000, (gap_us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
    }
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static ssize_t rd(int fd, char *b, size_t n) {
    for (;;) {
        ssize_t r = recv(fd, b, n, spin ? MSG_DONTWAIT : 0);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (spin && (errno == EAGAIN || errno == EWOULDBLOCK)) { __builtin_ia32_pause(); continue; }
        return -1;
    }
}

static int wr(int fd, const char *b, size_t n) {
    while (n) {
        ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        b += r; n -= (size_t)r;
    }
    return 0;
}

/* buffered reader */
static char rbuf[1 << 20];
static size_t rlen, rpos;

static int need(int fd, size_t n) {
    if (rpos && rlen - rpos < n) { memmove(rbuf, rbuf + rpos, rlen - rpos); rlen -= rpos; rpos = 0; }
    while (rlen - rpos < n) {
        ssize_t r = rd(fd, rbuf + rlen, sizeof rbuf - rlen);
        if (r <= 0) return -1;
        rlen += (size_t)r;
    }
    return 0;
}

static int read_head(int fd, char *out, size_t cap) {
    for (;;) {
        char *e = memmem(rbuf + rpos, rlen - rpos, "\r\n\r\n", 4);
        if (e) {
            size_t n = (size_t)(e + 4 - (rbuf + rpos));
            if (n >= cap) return -1;
            memcpy(out, rbuf + rpos, n); out[n] = 0; rpos += n;
            return (int)n;
        }
        if (need(fd, rlen - rpos + 1) < 0) return -1;
    }
}

static void nodelay(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); exit(1); }
    nodelay(fd);
    return fd;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(int64_t *lat, long n, struct rusage *r0, struct rusage *r1) {
    double mean = 0;
    for (long i = 0; i < n; i++) mean += (double)lat[i];
    mean /= (double)n;
    qsort(lat, (size_t)n, sizeof *lat, cmp64);
    double cpu = (double)(r1->ru_utime.tv_sec - r0->ru_utime.tv_sec) * 1e9 + (double)(r1->ru_utime.tv_usec - r0->ru_utime.tv_usec) * 1e3
               + (double)(r1->ru_stime.tv_sec - r0->ru_stime.tv_sec) * 1e9 + (double)(r1->ru_stime.tv_usec - r0->ru_stime.tv_usec) * 1e3;
#define P(q) lat[(long)((double)(n - 1) * (q))]
    printf("{\"n\": %ld, \"p50\": %lld, \"p90\": %lld, \"p99\": %lld, \"p999\": %lld, \"max\": %lld, \"mean\": %.0f, \"cpu_ns\": %.0f}\n",
           n, (long long)P(0.5), (long long)P(0.9), (long long)P(0.99), (long long)P(0.999), (long long)lat[n - 1], mean, cpu / (double)n);
}

static void ws_accept_key(const char *key, size_t klen, char *out) {
    unsigned char cat[128], dig[SHA_DIGEST_LENGTH];
    const char *guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    memcpy(cat, key, klen); memcpy(cat + klen, guid, 36);
    SHA1(cat, klen + 36, dig);
    EVP_EncodeBlock((unsigned char *)out, dig, SHA_DIGEST_LENGTH);
}

static int ws_server(int port) {
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 16) < 0) { perror("bind"); return 1; }
    printf("ready\n"); fflush(stdout);
    static char head[8192], out[1 << 20];
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) continue;
        nodelay(fd);
        rlen = rpos = 0;
        if (read_head(fd, head, sizeof head) < 0) { close(fd); continue; }
        char *k = strcasestr(head, "Sec-WebSocket-Key:");
        if (!k) { close(fd); continue; }
        k += 18; while (*k == ' ') k++;
        char *ke = strstr(k, "\r\n");
        char acc[64];
        ws_accept_key(k, (size_t)(ke - k), acc);
        int hl = snprintf(out, sizeof out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
        wr(fd, out, (size_t)hl);
        for (;;) {
            if (need(fd, 2) < 0) break;
            unsigned char *h = (unsigned char *)rbuf + rpos;
            int op = h[0] & 15, masked = h[1] & 0x80;
            uint64_t len = h[1] & 127; size_t hdr = 2;
            if (len == 126) { if (need(fd, 4) < 0) break; h = (unsigned char *)rbuf + rpos; len = (uint64_t)h[2] << 8 | h[3]; hdr = 4; }
            else if (len == 127) { if (need(fd, 10) < 0) break; h = (unsigned char *)rbuf + rpos; len = 0; for (int i = 0; i < 8; i++) len = len << 8 | h[2 + i]; hdr = 10; }
            if (!masked || len > sizeof out - 16) break;
            if (need(fd, hdr + 4 + len) < 0) break;
            h = (unsigned char *)rbuf + rpos;
            unsigned char *m = h + hdr, *p = h + hdr + 4;
            size_t o = 0;
            out[o++] = (char)(0x80 | (op == 9 ? 10 : op));
            if (len < 126) out[o++] = (char)len;
            else if (len < 65536) { out[o++] = 126; out[o++] = (char)(len >> 8); out[o++] = (char)len; }
            else { out[o++] = 127; for (int i = 7; i >= 0; i--) out[o++] = (char)(len >> (8 * i)); }
            for (uint64_t i = 0; i < len; i++) out[o + i] = (char)(p[i] ^ m[i & 3]);
            rpos += hdr + 4 + len;
            if (op == 8) { wr(fd, out, o + len); break; }
            if (wr(fd, out, o + len) < 0) break;
        }
        close(fd);
    }
}

static int ws_client(int port, long n, int size) {
    int fd = connect_to(port);
    char req[512], head[8192];
    int l = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", port);
    wr(fd, req, (size_t)l);
    if (read_head(fd, head, sizeof head) < 0 || !strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")) { fprintf(stderr, "handshake failed\n"); return 1; }
    unsigned char *frame = malloc((size_t)size + 14), *payload = malloc((size_t)size);
    for (int i = 0; i < size; i++) payload[i] = (unsigned char)('a' + i % 26);
    int64_t *lat = malloc(sizeof(int64_t) * (size_t)n);
    long warm = n / 10 + 100;
    struct rusage r0, r1;
    uint32_t seed = 12345;
    for (long it = -warm; it < n; it++) {
        if (it == 0) getrusage(RUSAGE_SELF, &r0);
        if (it >= 0) gap();
        int64_t t0 = now_ns();
        size_t o = 0;
        frame[o++] = 0x81;
        if (size < 126) frame[o++] = (unsigned char)(0x80 | size);
        else { frame[o++] = 0x80 | 126; frame[o++] = (unsigned char)(size >> 8); frame[o++] = (unsigned char)size; }
        seed = seed * 1103515245u + 12345u;  /* mask key (not cryptographic: a benchmark peer) */
        unsigned char *mk = frame + o; memcpy(mk, &seed, 4); o += 4;
        for (int i = 0; i < size; i++) frame[o + (size_t)i] = payload[i] ^ mk[i & 3];
        if (wr(fd, (char *)frame, o + (size_t)size) < 0) return 1;
        if (need(fd, 2) < 0) return 1;
        unsigned char *h = (unsigned char *)rbuf + rpos;
        uint64_t len = h[1] & 127; size_t hdr = 2;
        if (len == 126) { if (need(fd, 4) < 0) return 1; h = (unsigned char *)rbuf + rpos; len = (uint64_t)h[2] << 8 | h[3]; hdr = 4; }
        if (need(fd, hdr + len) < 0) return 1;
        rpos += hdr + len;
        if (rpos == rlen) rpos = rlen = 0;
        int64_t t1 = now_ns();
        if (it >= 0) lat[it] = t1 - t0;
        if ((int)len != size) { fprintf(stderr, "bad echo\n"); return 1; }
    }
    getrusage(RUSAGE_SELF, &r1);
    report(lat, n, &r0, &r1);
    close(fd);
    return 0;
}

static int http_client(int port, long n, const char *path, int bodylen) {
    int fd = connect_to(port);
    char *body = malloc((size_t)bodylen + 1), req[4096], head[8192];
    for (int i = 0; i < bodylen; i++) body[i] = (char)('a' + i % 26);
    int l = snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%.*s", path, port, bodylen, bodylen, body);
    int64_t *lat = malloc(sizeof(int64_t) * (size_t)n);
    long warm = n / 10 + 100;
    struct rusage r0, r1;
    for (long it = -warm; it < n; it++) {
        if (it == 0) getrusage(RUSAGE_SELF, &r0);
        if (it >= 0) gap();
        int64_t t0 = now_ns();
        if (wr(fd, req, (size_t)l) < 0) return 1;
        if (read_head(fd, head, sizeof head) < 0) return 1;
        char *cl = strcasestr(head, "Content-Length:");
        long blen = cl ? strtol(cl + 15, NULL, 10) : 0;
        if (need(fd, (size_t)blen) < 0) return 1;
        rpos += (size_t)blen;
        if (rpos == rlen) rpos = rlen = 0;
        int64_t t1 = now_ns();
        if (it >= 0) lat[it] = t1 - t0;
    }
    getrusage(RUSAGE_SELF, &r1);
    report(lat, n, &r0, &r1);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: see the header comment\n"); return 2; }
    int port = atoi(argv[2]);
    const char *g = getenv("FO_GAP_US");
    gap_us = g ? atol(g) : 0;
    if (!strcmp(argv[1], "ws-server")) { spin = argc > 3 && !strcmp(argv[3], "spin"); return ws_server(port); }
    if (!strcmp(argv[1], "ws-client") && argc >= 5) { spin = argc > 5 && !strcmp(argv[5], "spin"); return ws_client(port, atol(argv[3]), atoi(argv[4])); }
    if (!strcmp(argv[1], "http-client") && argc >= 6) { spin = argc > 6 && !strcmp(argv[6], "spin"); return http_client(port, atol(argv[3]), argv[4], atoi(argv[5])); }
    fprintf(stderr, "bad arguments\n");
    return 2;
}

/* Socket helpers shared by fastorder.transport.http and fastorder.transport.ws.
 *
 * All calls are non-blocking and never raise SIGPIPE (MSG_NOSIGNAL); they report errors through errno so the
 * Cython caller can raise OSError.  Nothing here keeps state.
 */
#ifndef FO_SOCK_H
#define FO_SOCK_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef TCP_USER_TIMEOUT
#define TCP_USER_TIMEOUT 18
#endif

static inline int64_t fo_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* send() without blocking.  Returns bytes sent (0 when the socket buffer is full), or -1 with errno. */
static inline ssize_t fo_sock_send(int fd, const char *buf, size_t n)
{
    ssize_t r;
    do {
        r = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    return r;
}

/* recv() without blocking.  Returns bytes read, 0 at EOF, -2 when nothing is available, -1 with errno. */
static inline ssize_t fo_sock_recv(int fd, char *buf, size_t n)
{
    ssize_t r;
    do {
        r = recv(fd, buf, n, MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -2;
    return r;
}

static inline void fo_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spin receive: poll recv(MSG_DONTWAIT) until data, EOF, an error or deadline_ns (CLOCK_MONOTONIC).
 * Returns bytes read (>0), 0 at EOF, -1 with errno, -2 at the deadline.  Called without the GIL. */
static inline ssize_t fo_sock_spin_recv(int fd, char *buf, size_t n, int64_t deadline_ns)
{
    for (;;) {
        ssize_t r = fo_sock_recv(fd, buf, n);
        if (r != -2)
            return r;
        if (fo_now_ns() >= deadline_ns)
            return -2;
        fo_cpu_relax();
    }
}

static inline int fo_sock_set_int(int fd, int level, int opt, int value)
{
    return setsockopt(fd, level, opt, &value, sizeof value);
}

static inline int fo_sock_get_int(int fd, int level, int opt, int *value)
{
    socklen_t len = sizeof *value;
    return getsockopt(fd, level, opt, value, &len);
}

/* The kernel's smoothed RTT estimate and its variance for this connection, in microseconds (TCP_INFO). */
static inline int fo_sock_tcp_rtt(int fd, uint32_t *rtt_us, uint32_t *rttvar_us)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return -1;
    *rtt_us = ti.tcpi_rtt;
    *rttvar_us = ti.tcpi_rttvar;
    return 0;
}

#endif /* FO_SOCK_H */

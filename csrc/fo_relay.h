/* A TCP relay that holds every chunk, in each direction, for a fixed delay: an emulated network path for
 * `fastorder bench --rtt` on kernels without sch_netem.  Used by fastorder/net/_relay.pyx; Linux only.
 *
 * Timing.  Each chunk's clock starts when the kernel queued it on the relay's socket (SO_TIMESTAMPNS: the
 * loopback device stamps the skb inside the sender's send()), not when the relay got round to reading it, so
 * the relay's own wake-up on the read side is hidden inside the hold instead of added to it.  The chunk is
 * written at arrival + delay: a CLOCK_REALTIME timerfd (the clock of those stamps) with timer slack lowered to
 * 1 ns wakes the loop `early_ns` before the earliest deadline and the loop spins the rest, so the hold is
 * never shorter than nominal and the error is the wake-up jitter that spin did not absorb.  The error of each
 * chunk (written - arrival - delay) goes into a histogram of 100 ns buckets.
 *
 * Order and flow.  Bytes keep their order per direction (one FIFO per direction); TCP_NODELAY on both legs;
 * a direction stops reading while more than FO_RELAY_MAXQ bytes wait in it (TCP back-pressure reaches the
 * sender); a FIN is forwarded (shutdown(SHUT_WR)) after the delay once everything before it is written; the
 * pair is closed when both directions are shut or either side errs.
 *
 * Single-threaded, no allocation on the steady path except one malloc per chunk; called without the GIL.
 */
#ifndef FO_RELAY_H
#define FO_RELAY_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>

#define FO_RELAY_MAXFD 8192
#define FO_RELAY_MAXLISTEN 16
#define FO_RELAY_MAXQ (4u << 20)             /* bytes held per direction before its reads pause */
#define FO_RELAY_READ 65536
#define FO_RELAY_BUCKET_NS 100
#define FO_RELAY_NBUCKETS 200000             /* 100 ns buckets up to 20 ms; later errors land in `over` */

typedef struct fo_chunk {
    struct fo_chunk *next;
    int64_t arrival_ns;
    int64_t due_ns;
    uint32_t len, off;
    char data[];
} fo_chunk;

typedef struct fo_dir {
    int src, dst;
    fo_chunk *head, *tail;
    size_t queued;
    int eof;                 /* src sent FIN (or failed): forward a shutdown once drained and due */
    int64_t eof_due;
    int shut;                /* shutdown(dst, SHUT_WR) done */
    int paused;              /* reads from src paused (queue over FO_RELAY_MAXQ) */
    int blocked;             /* dst's send buffer full: waiting for EPOLLOUT */
    uint64_t bytes, chunks;
} fo_dir;

typedef struct fo_conn {
    struct fo_conn *prev, *next;
    int cfd, sfd;            /* client side (accepted), server side (connected by us) */
    int connecting;          /* sfd's connect() still in progress */
    uint32_t cmask, smask;   /* the events each fd is registered for (0: not in the epoll set) */
    fo_dir up, down;         /* up: client -> server; down: server -> client */
} fo_conn;

typedef struct fo_relay {
    int ep, tfd;
    int64_t delay_ns, early_ns;
    int nlisten;
    int lfd[FO_RELAY_MAXLISTEN];
    struct sockaddr_in target[FO_RELAY_MAXLISTEN];
    fo_conn *conns;
    fo_conn *by_fd[FO_RELAY_MAXFD];
    int64_t timer_at;        /* the armed timerfd deadline, 0 = disarmed */
    char rbuf[FO_RELAY_READ];
    /* statistics */
    uint32_t *hist;
    uint64_t count, over, accepted, closed, no_stamp;
    int64_t max_err_ns;
} fo_relay;

static inline int64_t fo_relay_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void fo_relay_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int fo_relay_ctl(fo_relay *r, int op, int fd, uint32_t events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.fd = fd;
    return epoll_ctl(r->ep, op, fd, &ev);
}

static fo_relay *fo_relay_new(int64_t delay_ns, int64_t early_ns)
{
    fo_relay *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->hist = calloc(FO_RELAY_NBUCKETS, sizeof *r->hist);
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    r->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (r->hist == NULL || r->ep < 0 || r->tfd < 0) {
        if (r->ep >= 0) close(r->ep);
        if (r->tfd >= 0) close(r->tfd);
        free(r->hist);
        free(r);
        return NULL;
    }
    r->delay_ns = delay_ns;
    r->early_ns = early_ns;
    fo_relay_ctl(r, EPOLL_CTL_ADD, r->tfd, EPOLLIN);
    return r;
}

static void fo_relay_sockopts(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

/* A listening socket (already bound and listening, any blocking mode) and where its connections go. */
static int fo_relay_listen(fo_relay *r, int lfd, const char *ip, int port)
{
    struct sockaddr_in *a;
    if (r->nlisten >= FO_RELAY_MAXLISTEN || lfd < 0 || lfd >= FO_RELAY_MAXFD) {
        errno = EINVAL;
        return -1;
    }
    a = &r->target[r->nlisten];
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    /* stamps on the listener too: it turns the kernel's receive stamps on before the first connection */
    fo_relay_sockopts(lfd);
    if (fo_relay_ctl(r, EPOLL_CTL_ADD, lfd, EPOLLIN) < 0)
        return -1;
    r->lfd[r->nlisten++] = lfd;
    return 0;
}

static void fo_relay_record(fo_relay *r, int64_t err_ns)
{
    int64_t b = err_ns / FO_RELAY_BUCKET_NS;
    if (err_ns > r->max_err_ns)
        r->max_err_ns = err_ns;
    r->count++;
    if (b < 0)
        b = 0;
    if (b >= FO_RELAY_NBUCKETS)
        r->over++;
    else
        r->hist[b]++;
}

static void fo_relay_free_dir(fo_dir *d)
{
    fo_chunk *c = d->head, *n;
    while (c) {
        n = c->next;
        free(c);
        c = n;
    }
    d->head = d->tail = NULL;
    d->queued = 0;
}

static void fo_relay_drop(fo_relay *r, fo_conn *c)
{
    if (c->prev) c->prev->next = c->next; else r->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    r->by_fd[c->cfd] = NULL;
    r->by_fd[c->sfd] = NULL;
    close(c->cfd);   /* closing removes them from the epoll set */
    close(c->sfd);
    fo_relay_free_dir(&c->up);
    fo_relay_free_dir(&c->down);
    free(c);
    r->closed++;
}

/* Register an fd for `want`, or take it out of the epoll set when it waits for nothing (a level-triggered
   EPOLLHUP cannot be masked and would otherwise wake the loop over and over while a FIN is being held). */
static void fo_relay_want(fo_relay *r, int fd, uint32_t *have, uint32_t want)
{
    if (want == *have)
        return;
    if (want == 0)
        epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
    else
        fo_relay_ctl(r, *have ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, want);
    *have = want;
}

/* The events each fd of a pair wants: reading unless its direction paused or ended, writing when blocked. */
static void fo_relay_rearm(fo_relay *r, fo_conn *c)
{
    uint32_t ce = 0, se = 0;
    if (!c->up.eof && !c->up.paused) ce |= EPOLLIN;
    if (!c->down.eof && !c->down.paused) se |= EPOLLIN;
    if (c->down.blocked) ce |= EPOLLOUT;
    if (c->up.blocked || c->connecting) se |= EPOLLOUT;
    fo_relay_want(r, c->cfd, &c->cmask, ce);
    fo_relay_want(r, c->sfd, &c->smask, se);
}

static void fo_relay_accept(fo_relay *r, int li)
{
    for (;;) {
        int cfd = accept4(r->lfd[li], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), sfd;
        fo_conn *c;
        if (cfd < 0)
            return;
        sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        c = calloc(1, sizeof *c);
        if (sfd < 0 || c == NULL || cfd >= FO_RELAY_MAXFD || sfd >= FO_RELAY_MAXFD) {
            close(cfd);
            if (sfd >= 0) close(sfd);
            free(c);
            continue;
        }
        fo_relay_sockopts(cfd);
        fo_relay_sockopts(sfd);
        if (connect(sfd, (struct sockaddr *)&r->target[li], sizeof r->target[li]) < 0 && errno != EINPROGRESS) {
            close(cfd);
            close(sfd);
            free(c);
            continue;
        }
        c->cfd = cfd;
        c->sfd = sfd;
        c->connecting = 1;
        c->up.src = cfd; c->up.dst = sfd;
        c->down.src = sfd; c->down.dst = cfd;
        c->next = r->conns;
        if (r->conns) r->conns->prev = c;
        r->conns = c;
        r->by_fd[cfd] = c;
        r->by_fd[sfd] = c;
        fo_relay_want(r, cfd, &c->cmask, EPOLLIN);
        fo_relay_want(r, sfd, &c->smask, EPOLLOUT);
        r->accepted++;
    }
}

/* Read what src has into chunks stamped with their arrival time.  Returns -1 when the pair must go. */
static int fo_relay_read(fo_relay *r, fo_dir *d)
{
    char cbuf[CMSG_SPACE(sizeof(struct timespec)) + 64];
    for (int rounds = 0; rounds < 16 && !d->paused && !d->eof; rounds++) {
        struct iovec iov = { r->rbuf, sizeof r->rbuf };
        struct msghdr m;
        struct cmsghdr *cm;
        int64_t now, arrival = 0;
        fo_chunk *c;
        ssize_t n;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = cbuf;
        m.msg_controllen = sizeof cbuf;
        n = recvmsg(d->src, &m, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            n = 0;   /* reset or error: forwarded like a FIN after the delay, then the pair closes */
        }
        now = fo_relay_now();
        if (n == 0) {
            d->eof = 1;
            d->eof_due = now + r->delay_ns;
            return 0;
        }
        for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                arrival = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            }
        }
        /* a missing or implausible stamp (none taken, or a clock step): count from now, which only lengthens
           the hold */
        if (arrival <= 0 || arrival > now || now - arrival > 1000000000LL) {
            arrival = now;
            r->no_stamp++;
        }
        c = malloc(sizeof *c + (size_t)n);
        if (c == NULL)
            return -1;
        memcpy(c->data, r->rbuf, (size_t)n);
        c->next = NULL;
        c->arrival_ns = arrival;
        c->due_ns = arrival + r->delay_ns;
        c->len = (uint32_t)n;
        c->off = 0;
        if (d->tail) d->tail->next = c; else d->head = c;
        d->tail = c;
        d->queued += (size_t)n;
        d->bytes += (uint64_t)n;
        d->chunks++;
        if (d->queued > FO_RELAY_MAXQ)
            d->paused = 1;
        if ((size_t)n < sizeof r->rbuf)
            return 0;
    }
    return 0;
}

/* Write every chunk of d that is due.  Returns -1 when the pair must go. */
static int fo_relay_flush(fo_relay *r, fo_conn *conn, fo_dir *d, int64_t now)
{
    if (conn->connecting && d == &conn->up)
        return 0;
    while (d->head && !d->blocked && d->head->due_ns <= now) {
        fo_chunk *c = d->head;
        ssize_t n;
        if (c->off == 0)
            fo_relay_record(r, now - c->due_ns);
        n = send(d->dst, c->data + c->off, c->len - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                d->blocked = 1;
                return 0;
            }
            return -1;
        }
        c->off += (uint32_t)n;
        d->queued -= (size_t)n;
        if (c->off < c->len) {
            d->blocked = 1;
            return 0;
        }
        d->head = c->next;
        if (d->head == NULL) d->tail = NULL;
        free(c);
        if (d->paused && d->queued < FO_RELAY_MAXQ / 2)
            d->paused = 0;
    }
    if (d->eof && !d->shut && d->head == NULL && d->eof_due <= now) {
        shutdown(d->dst, SHUT_WR);
        d->shut = 1;
    }
    return 0;
}

/* The earliest moment something is due (0: nothing). */
static int64_t fo_relay_next_due(fo_relay *r)
{
    int64_t best = 0;
    for (fo_conn *c = r->conns; c; c = c->next) {
        fo_dir *ds[2] = { &c->up, &c->down };
        for (int i = 0; i < 2; i++) {
            fo_dir *d = ds[i];
            int64_t t = 0;
            if (d->head && !d->blocked && !(c->connecting && d == &c->up))
                t = d->head->due_ns;
            else if (d->eof && !d->shut && d->head == NULL)
                t = d->eof_due;
            if (t && (best == 0 || t < best))
                best = t;
        }
    }
    return best;
}

static void fo_relay_arm(fo_relay *r, int64_t at)
{
    struct itimerspec its;
    if (at == r->timer_at)
        return;
    memset(&its, 0, sizeof its);
    if (at) {
        its.it_value.tv_sec = at / 1000000000LL;
        its.it_value.tv_nsec = at % 1000000000LL;
    }
    timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    r->timer_at = at;
}

/* Flush everything due on every pair, closing pairs that are finished or failed. */
static void fo_relay_deliver(fo_relay *r)
{
    int64_t now = fo_relay_now();
    fo_conn *c = r->conns, *n;
    while (c) {
        n = c->next;
        if (fo_relay_flush(r, c, &c->up, now) < 0 || fo_relay_flush(r, c, &c->down, now) < 0
                || (c->up.shut && c->down.shut)) {
            fo_relay_drop(r, c);
        } else {
            fo_relay_rearm(r, c);
        }
        c = n;
    }
}

static void fo_relay_event(fo_relay *r, int fd, uint32_t ev)
{
    fo_conn *c;
    for (int i = 0; i < r->nlisten; i++) {
        if (r->lfd[i] == fd) {
            fo_relay_accept(r, i);
            return;
        }
    }
    c = (fd >= 0 && fd < FO_RELAY_MAXFD) ? r->by_fd[fd] : NULL;
    if (c == NULL)
        return;
    if (fd == c->sfd && c->connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            fo_relay_drop(r, c);   /* the target refused: the client sees its connection closed */
            return;
        }
        c->connecting = 0;
    }
    if (ev & EPOLLOUT) {
        if (fd == c->cfd) c->down.blocked = 0;
        if (fd == c->sfd) c->up.blocked = 0;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        fo_dir *d = fd == c->cfd ? &c->up : &c->down;
        if (fo_relay_read(r, d) < 0) {
            fo_relay_drop(r, c);
            return;
        }
    }
}

/* Run until ctl_fd is readable (returns 1) or an error (-1, errno).  Called without the GIL. */
static int fo_relay_run(fo_relay *r, int ctl_fd)
{
    struct epoll_event evs[64];
    int spun = 0;            /* the last turn spun to a deadline and delivered, without an epoll_wait since */
    int ctl_added = fo_relay_ctl(r, EPOLL_CTL_ADD, ctl_fd, EPOLLIN) == 0 || errno == EEXIST;
    if (!ctl_added)
        return -1;
    for (;;) {
        int64_t due = fo_relay_next_due(r);
        int n, stop = 0;
        if (due && r->early_ns > 0) {
            /* close to the deadline: spin instead of sleeping, so the wake-up's jitter does not land in the hold */
            int64_t now = fo_relay_now();
            if (due - now <= r->early_ns) {
                if (spun) {
                    /* another deadline close behind the one just served: take whatever is ready without
                       blocking first, so reads (and ctl_fd) are never starved by back-to-back deadlines */
                    spun = 0;
                    n = epoll_wait(r->ep, evs, 64, 0);
                    goto handle;
                }
                while (fo_relay_now() < due)
                    fo_relay_pause();
                fo_relay_deliver(r);
                /* back to the top: when nothing else is due soon, the blocking epoll_wait there returns at
                   once with whatever became ready; a non-blocking epoll_wait here would be one more syscall on
                   the server's CPU between the chunk written to the server and the server getting that CPU */
                spun = 1;
                continue;
            }
        }
        spun = 0;
        /* with nothing due the timer is left as it is: a stale expiry costs one spurious wake-up, disarming
           costs a timerfd_settime (a VM exit on a KVM guest) on the server's CPU after every delivery */
        if (due)
            fo_relay_arm(r, due - r->early_ns);
        n = epoll_wait(r->ep, evs, 64, -1);
    handle:
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ctl_fd) {
                stop = 1;
            } else if (fd == r->tfd) {
                uint64_t ticks;
                ssize_t rd = read(r->tfd, &ticks, sizeof ticks);
                (void)rd;
                r->timer_at = 0;
            } else {
                fo_relay_event(r, fd, evs[i].events);
            }
        }
        fo_relay_deliver(r);
        if (stop)
            return 1;
    }
}

static void fo_relay_reset_stats(fo_relay *r)
{
    memset(r->hist, 0, FO_RELAY_NBUCKETS * sizeof *r->hist);
    r->count = r->over = r->no_stamp = 0;
    r->max_err_ns = 0;
}

static void fo_relay_free(fo_relay *r)
{
    if (r == NULL)
        return;
    while (r->conns)
        fo_relay_drop(r, r->conns);
    for (int i = 0; i < r->nlisten; i++)
        close(r->lfd[i]);
    close(r->tfd);
    close(r->ep);
    free(r->hist);
    free(r);
}

#endif /* FO_RELAY_H */

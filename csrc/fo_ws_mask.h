/* WebSocket masking (RFC 6455 section 5.3) and masking-key generation for fastorder.transport.ws.
 *
 * fo_ws_mask() XORs 16 bytes at a time with SSE2 (baseline on x86-64, so no runtime dispatch is needed),
 * then 8 bytes at a time, then the tail.  Order-sized frames are 100-400 bytes, so wider vectors would not
 * pay for a CPU-feature dispatch.  The mask word is built with memcpy, so the byte order of the XOR is the
 * byte order of the data on any endianness, and unaligned buffers are fine.
 */
#ifndef FO_WS_MASK_H
#define FO_WS_MASK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline void fo_ws_mask(unsigned char *dst, const unsigned char *src, size_t n,
                              const unsigned char *mask4)
{
    uint32_t m32;
    uint64_t m64;
    size_t i = 0;
    memcpy(&m32, mask4, 4);
    m64 = ((uint64_t)m32 << 32) | (uint64_t)m32;
#if defined(__SSE2__)
    {
        __m128i m128 = _mm_set1_epi32((int)m32);
        for (; i + 16 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
            _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(v, m128));
        }
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= m64;
        memcpy(dst + i, &v, 8);
    }
    /* i is a multiple of 4 here, so the mask phase of byte i is i & 3. */
    for (; i < n; i++)
        dst[i] = src[i] ^ mask4[i & 3];
}

/* Masking keys must come from "a strong source of entropy" (RFC 6455 10.3).  getrandom() per frame would
 * be a syscall per order, so keys are drawn from a 4 KiB pool refilled from getrandom() (1024 frames per
 * refill).  Returns 0, or -1 with errno set. */
#define FO_WS_RND_POOL 4096
static unsigned char fo_ws_rnd_pool[FO_WS_RND_POOL];
static size_t fo_ws_rnd_pos = FO_WS_RND_POOL;

static inline int fo_ws_mask_key(unsigned char *out4)
{
    if (fo_ws_rnd_pos + 4 > FO_WS_RND_POOL) {
        size_t got = 0;
        while (got < FO_WS_RND_POOL) {
            ssize_t r = getrandom(fo_ws_rnd_pool + got, FO_WS_RND_POOL - got, 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            got += (size_t)r;
        }
        fo_ws_rnd_pos = 0;
    }
    memcpy(out4, fo_ws_rnd_pool + fo_ws_rnd_pos, 4);
    fo_ws_rnd_pos += 4;
    return 0;
}

#endif /* FO_WS_MASK_H */

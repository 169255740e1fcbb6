/* The inner loop of a JSON string scan for fastorder._core.events: the first byte in [p, e) that a string
 * scan must stop at ('"', '\\' or a control character below 0x20), or e if there is none.
 *
 * A private-stream frame is mostly short keys and short string values (an OKX `orders` push: ~90 strings in
 * 1 KB), so the scan runs once per string and usually ends inside the first 16 bytes: SSE2 (baseline on
 * x86-64, no runtime dispatch) tests 16 bytes in a few instructions and the first match's position comes from
 * the mask's lowest set bit, with no byte loop after it. Elsewhere, and for the last < 16 bytes of a frame
 * (no load may cross e), a byte loop does the same test.
 */
#ifndef FO_JSON_SCAN_H
#define FO_JSON_SCAN_H

#include <stddef.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline const char *fo_json_special(const char *p, const char *e)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);
    while (e - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        /* unsigned x <= 0x1F  <=>  max(x, 0x1F) == 0x1F */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                   _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < e) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20)
            return p;
        p++;
    }
    return e;
}

#endif

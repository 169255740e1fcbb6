/* fo_core.h — small C helpers for fastorder's compiled core: exact decimals, percent-encoding, hex/base64,
 * UTC date formatting. Header-only (static inline) so every Cython module that needs a helper gets its own
 * copy inlined at the call site; nothing here allocates or touches Python objects.
 */
#ifndef FO_CORE_H
#define FO_CORE_H

#include <stdint.h>
#include <string.h>

#ifndef FASTORDER_DEBUG
#define FASTORDER_DEBUG 0
#endif

/* ------------------------------------------------------------------------------------------------------ */
/* Exact decimals.                                                                                          */
/* A positive decimal is kept as its significant digits d[0..n) (no leading or trailing zero) and the place */
/* of the decimal point: value = 0.d0 d1 ... d(n-1) * 10^point. So "52000" is d="52", point=5 and "0.015" */
/* is d="15", point=-1. This is exact, allocation-free and cheap to print.                                */
/* ------------------------------------------------------------------------------------------------------ */

#define FO_DEC_MAX_INT 20      /* Binance's decimal regex: at most 20 integer digits ... */
#define FO_DEC_MAX_FRAC 20     /* ... and 20 fraction digits */
#define FO_DEC_MAX_DIGITS 38   /* and what an unsigned 128-bit integer holds exactly */

typedef struct {
    char d[FO_DEC_MAX_DIGITS];
    int n;      /* number of significant digits; 0 means the value is zero */
    int point;  /* position of the decimal point, see above */
} fo_dec;

enum {
    FO_DEC_OK = 0,
    FO_DEC_SYNTAX = 1,    /* not [0-9]*(.[0-9]*)?([eE][+-]?[0-9]+)? with a digit */
    FO_DEC_NEGATIVE = 2,  /* starts with '-' */
    FO_DEC_ZERO = 3,      /* zero */
    FO_DEC_DIGITS = 4,    /* too many integer/fraction/total digits */
};

static inline int fo_dec_int_digits(const fo_dec *v) { return v->point > 0 ? v->point : 0; }
static inline int fo_dec_frac_digits(const fo_dec *v) { return v->n > v->point ? v->n - v->point : 0; }

/* Parse text (not NUL-terminated) into *out. Returns one of FO_DEC_*. */
static inline int fo_dec_parse(const char *s, Py_ssize_t len, fo_dec *out)
{
    Py_ssize_t i = 0;
    int n = 0;              /* significant digits stored */
    long pending_zeros = 0; /* zeros seen after the last stored non-zero digit */
    long point = 0;         /* digits before the '.', counted from the first significant digit */
    int seen_digit = 0, seen_dot = 0, started = 0;
    long lead_frac_zeros = 0; /* zeros after '.' before the first significant digit */

    if (len > 0 && s[0] == '-') return FO_DEC_NEGATIVE;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            seen_digit = 1;
            if (!started) {
                if (c == '0') {
                    if (seen_dot) lead_frac_zeros++;
                    continue;
                }
                started = 1;
            }
            if (c == '0') {
                pending_zeros++;
            } else {
                if (n + pending_zeros + 1 > FO_DEC_MAX_DIGITS) return FO_DEC_DIGITS;
                while (pending_zeros > 0) { out->d[n++] = '0'; pending_zeros--; }
                out->d[n++] = c;
            }
            if (!seen_dot) point++;
        } else if (c == '.' && !seen_dot) {
            seen_dot = 1;
        } else {
            break;
        }
    }
    if (!seen_digit) return FO_DEC_SYNTAX;
    long exp = 0;
    if (i < len) {
        char c = s[i];
        if (c != 'e' && c != 'E') return FO_DEC_SYNTAX;
        i++;
        int neg = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        if (i >= len) return FO_DEC_SYNTAX;
        int big = 0;
        for (; i < len; i++) {
            c = s[i];
            if (c < '0' || c > '9') return FO_DEC_SYNTAX;
            if (exp < 100000) exp = exp * 10 + (c - '0'); else big = 1;
        }
        if (neg) exp = -exp;
        if (big && n > 0) return FO_DEC_DIGITS;
    }
    if (n == 0) return FO_DEC_ZERO;
    /* point was counted from the first significant digit when it is in the integer part; a value below 1
     * has point = -(zeros between '.' and the first significant digit). */
    if (point == 0) point = -lead_frac_zeros;
    point += exp;
    if (point > FO_DEC_MAX_INT || point < -FO_DEC_MAX_FRAC) return FO_DEC_DIGITS;
    out->n = n;
    out->point = (int)point;
    {
        int I = fo_dec_int_digits(out), F = fo_dec_frac_digits(out);
        if (I > FO_DEC_MAX_INT || F > FO_DEC_MAX_FRAC || I + F > FO_DEC_MAX_DIGITS) return FO_DEC_DIGITS;
    }
    return FO_DEC_OK;
}

/* Bytes needed to print v with at least min_frac fraction digits. */
static inline Py_ssize_t fo_dec_len(const fo_dec *v, int min_frac)
{
    int I = fo_dec_int_digits(v), F = fo_dec_frac_digits(v);
    if (F < min_frac) F = min_frac;
    return (I ? I : 1) + (F ? F + 1 : 0);
}

/* Print v (plain, never an exponent) with at least min_frac fraction digits; returns bytes written. */
static inline Py_ssize_t fo_dec_write(const fo_dec *v, int min_frac, char *out)
{
    char *p = out;
    int k;
    int F = fo_dec_frac_digits(v);
    if (v->point <= 0) {
        *p++ = '0';
    } else {
        int m = v->point < v->n ? v->point : v->n;
        memcpy(p, v->d, (size_t)m); p += m;
        for (k = m; k < v->point; k++) *p++ = '0';
    }
    if (F < min_frac) F = min_frac;
    if (F) {
        int written = 0;
        *p++ = '.';
        if (v->point < 0) {
            for (k = 0; k < -v->point; k++) *p++ = '0';
            written = -v->point;
            memcpy(p, v->d, (size_t)v->n); p += v->n; written += v->n;
        } else if (v->n > v->point) {
            memcpy(p, v->d + v->point, (size_t)(v->n - v->point)); p += v->n - v->point;
            written = v->n - v->point;
        }
        for (; written < F; written++) *p++ = '0';
    }
    return p - out;
}

typedef unsigned __int128 fo_u128;

/* v * 10^scale as an integer; returns 0 if that does not fit in 38 digits or scale < frac digits. */
static inline int fo_dec_scaled(const fo_dec *v, int scale, fo_u128 *out)
{
    int F = fo_dec_frac_digits(v), I = fo_dec_int_digits(v);
    if (scale < F || I + scale > FO_DEC_MAX_DIGITS) return 0;
    fo_u128 x = 0;
    int k;
    for (k = 0; k < v->n; k++) x = x * 10 + (fo_u128)(v->d[k] - '0');
    /* x = digits as an integer = v * 10^(n - point) */
    for (k = v->n - v->point; k < scale; k++) x *= 10;
    *out = x;
    return 1;
}

/* 1: v is a multiple of step; 0: it is not; -1: too big to decide here (the caller falls back). */
static inline int fo_dec_on_grid(const fo_dec *v, const fo_dec *step)
{
    int Fv = fo_dec_frac_digits(v), Fs = fo_dec_frac_digits(step);
    int S = Fv > Fs ? Fv : Fs;
    fo_u128 a, b;
    if (!fo_dec_scaled(v, S, &a) || !fo_dec_scaled(step, S, &b)) return -1;
    return (a % b) == 0;
}

/* -1, 0, 1 as a <, ==, > b; 2 if too big to decide here. */
static inline int fo_dec_cmp(const fo_dec *a, const fo_dec *b)
{
    int Fa = fo_dec_frac_digits(a), Fb = fo_dec_frac_digits(b);
    int S = Fa > Fb ? Fa : Fb;
    fo_u128 x, y;
    if (!fo_dec_scaled(a, S, &x) || !fo_dec_scaled(b, S, &y)) return 2;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* -1, 0, 1 as a*b <, ==, > c; 2 if too big to decide here. */
static inline int fo_dec_cmp_product(const fo_dec *a, const fo_dec *b, const fo_dec *c)
{
    int Fa = fo_dec_frac_digits(a), Fb = fo_dec_frac_digits(b), Fc = fo_dec_frac_digits(c);
    fo_u128 x, y, z;
    const fo_u128 lim64 = ((fo_u128)1) << 63;
    if (!fo_dec_scaled(a, Fa, &x) || !fo_dec_scaled(b, Fb, &y)) return 2;
    if (x >= lim64 || y >= lim64) return 2;
    fo_u128 p = x * y; /* = a*b * 10^(Fa+Fb) */
    int S = Fa + Fb;
    if (Fc > S) {
        /* scale p up to Fc */
        int k;
        for (k = S; k < Fc; k++) {
            if (p > (~(fo_u128)0) / 10) return 2;
            p *= 10;
        }
        S = Fc;
    }
    if (!fo_dec_scaled(c, S, &z)) return 2;
    return p < z ? -1 : (p > z ? 1 : 0);
}

/* ------------------------------------------------------------------------------------------------------ */
/* Text encodings                                                                                           */
/* ------------------------------------------------------------------------------------------------------ */

static const char fo_hex_lower[] = "0123456789abcdef";
static const char fo_hex_upper[] = "0123456789ABCDEF";
static const char fo_b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static inline void fo_hex_encode(const unsigned char *src, Py_ssize_t n, char *out)
{
    Py_ssize_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = fo_hex_lower[src[i] >> 4];
        out[2 * i + 1] = fo_hex_lower[src[i] & 15];
    }
}

static inline Py_ssize_t fo_b64_len(Py_ssize_t n) { return ((n + 2) / 3) * 4; }

static inline Py_ssize_t fo_b64_encode(const unsigned char *src, Py_ssize_t n, char *out)
{
    Py_ssize_t i = 0;
    char *p = out;
    for (; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) | src[i + 2];
        *p++ = fo_b64_alphabet[(v >> 18) & 63];
        *p++ = fo_b64_alphabet[(v >> 12) & 63];
        *p++ = fo_b64_alphabet[(v >> 6) & 63];
        *p++ = fo_b64_alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)src[i] << 16;
        if (i + 1 < n) v |= (uint32_t)src[i + 1] << 8;
        *p++ = fo_b64_alphabet[(v >> 18) & 63];
        *p++ = fo_b64_alphabet[(v >> 12) & 63];
        *p++ = (i + 1 < n) ? fo_b64_alphabet[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    return p - out;
}

/* RFC 3986 unreserved characters: what urllib.parse.quote(v, safe="") leaves alone. */
static inline int fo_is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Bytes needed to percent-encode src. */
static inline Py_ssize_t fo_pct_len(const char *src, Py_ssize_t n)
{
    Py_ssize_t i, m = 0;
    for (i = 0; i < n; i++) m += fo_is_unreserved((unsigned char)src[i]) ? 1 : 3;
    return m;
}

/* Percent-encode with uppercase hex (Binance and HTX both sign this form); returns bytes written. */
static inline Py_ssize_t fo_pct_encode(const char *src, Py_ssize_t n, char *out)
{
    Py_ssize_t i;
    char *p = out;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (fo_is_unreserved(c)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = fo_hex_upper[c >> 4];
            *p++ = fo_hex_upper[c & 15];
        }
    }
    return p - out;
}

/* Decimal digits of an unsigned 64-bit integer; returns bytes written (at most 20). */
static inline Py_ssize_t fo_u64_write(uint64_t v, char *out)
{
    char tmp[20];
    int k = 0;
    do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (int j = 0; j < k; j++) out[j] = tmp[k - 1 - j];
    return k;
}

/* ------------------------------------------------------------------------------------------------------ */
/* UTC calendar (proleptic Gregorian) without gmtime(): days since 1970-01-01 -> y/m/d                      */
/* (Howard Hinnant's civil_from_days).                                                                      */
/* ------------------------------------------------------------------------------------------------------ */

static inline void fo_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static inline void fo_put2(char *p, unsigned v) { p[0] = (char)('0' + v / 10); p[1] = (char)('0' + v % 10); }

/* "YYYY-MM-DDThh:mm:ss" (19 bytes) for 0 <= secs < 253402300800; the caller checks the range. */
static inline void fo_utc_seconds(int64_t secs, char *out)
{
    int64_t days = secs / 86400, rem = secs % 86400, y;
    unsigned m, d;
    fo_civil_from_days(days, &y, &m, &d);
    out[0] = (char)('0' + (y / 1000) % 10); out[1] = (char)('0' + (y / 100) % 10);
    out[2] = (char)('0' + (y / 10) % 10);   out[3] = (char)('0' + y % 10);
    out[4] = '-'; fo_put2(out + 5, m); out[7] = '-'; fo_put2(out + 8, d);
    out[10] = 'T'; fo_put2(out + 11, (unsigned)(rem / 3600)); out[13] = ':';
    fo_put2(out + 14, (unsigned)((rem / 60) % 60)); out[16] = ':'; fo_put2(out + 17, (unsigned)(rem % 60));
}

#endif /* FO_CORE_H */

/* HMAC-SHA256 of one order's signed text through four OpenSSL APIs, for bench/hmac_api.py.
 *
 *  0 states:  today's path (fastorder/_core/sign.pyx): SHA256_CTX after (key ^ ipad) and (key ^ opad) kept;
 *             per message copy the inner state (a struct copy), update, final, then the outer.  SHA256_* are
 *             deprecated in OpenSSL 3.
 *  1 mac_dup: EVP_MAC "HMAC" keyed once; per message EVP_MAC_CTX_dup of that context, update, final, free.
 *  2 mac_init: one EVP_MAC context keyed once; per message EVP_MAC_init(ctx, NULL, 0, NULL) (same key), update,
 *             final.
 *  3 md_copy: EVP_MD_CTX inner/outer states keyed once (EVP_DigestInit_ex2 + the pads); per message
 *             EVP_MD_CTX_copy_ex into a reused context, update, final, then the outer.  Not deprecated.
 *
 * fo_hmac_run(variant, key, klen, msg, mlen, iters, out32) -> ns per message (CLOCK_MONOTONIC over iters).
 */
#define OPENSSL_SUPPRESS_DEPRECATED   /* variant 0 is the deprecated API on purpose: it is today's path */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void pads(const unsigned char *key, size_t klen, unsigned char ipad[64], unsigned char opad[64]) {
    unsigned char block[64] = {0};
    if (klen > 64) SHA256(key, klen, block); else memcpy(block, key, klen);
    for (int i = 0; i < 64; i++) { ipad[i] = block[i] ^ 0x36; opad[i] = block[i] ^ 0x5c; }
}

double fo_hmac_run(int variant, const unsigned char *key, size_t klen, const unsigned char *msg, size_t mlen,
                   long iters, unsigned char *out32) {
    unsigned char ipad[64], opad[64], inner[32];
    unsigned int len = 32;
    size_t outl = 0;
    double t0 = 0, t1 = 0;
    pads(key, klen, ipad, opad);
    if (variant == 0) {
        SHA256_CTX in, out, c, o;
        SHA256_Init(&in); SHA256_Update(&in, ipad, 64);
        SHA256_Init(&out); SHA256_Update(&out, opad, 64);
        t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            c = in; SHA256_Update(&c, msg, mlen); SHA256_Final(inner, &c);
            o = out; SHA256_Update(&o, inner, 32); SHA256_Final(out32, &o);
        }
        t1 = now_ns();
    } else if (variant == 1 || variant == 2) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *tmpl = EVP_MAC_CTX_new(mac);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                               OSSL_PARAM_construct_end()};
        if (!mac || !tmpl || !EVP_MAC_init(tmpl, key, klen, params)) return -1;
        t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            if (variant == 1) {
                EVP_MAC_CTX *c = EVP_MAC_CTX_dup(tmpl);
                EVP_MAC_update(c, msg, mlen);
                EVP_MAC_final(c, out32, &outl, 32);
                EVP_MAC_CTX_free(c);
            } else {
                EVP_MAC_init(tmpl, NULL, 0, NULL);
                EVP_MAC_update(tmpl, msg, mlen);
                EVP_MAC_final(tmpl, out32, &outl, 32);
            }
        }
        t1 = now_ns();
        EVP_MAC_CTX_free(tmpl);
        EVP_MAC_free(mac);
    } else if (variant == 3) {
        EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
        EVP_MD_CTX *in = EVP_MD_CTX_new(), *out = EVP_MD_CTX_new(), *c = EVP_MD_CTX_new();
        if (!md || !EVP_DigestInit_ex2(in, md, NULL) || !EVP_DigestInit_ex2(out, md, NULL)) return -1;
        EVP_DigestUpdate(in, ipad, 64);
        EVP_DigestUpdate(out, opad, 64);
        t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            EVP_MD_CTX_copy_ex(c, in); EVP_DigestUpdate(c, msg, mlen); EVP_DigestFinal_ex(c, inner, &len);
            EVP_MD_CTX_copy_ex(c, out); EVP_DigestUpdate(c, inner, 32); EVP_DigestFinal_ex(c, out32, &len);
        }
        t1 = now_ns();
        EVP_MD_CTX_free(in); EVP_MD_CTX_free(out); EVP_MD_CTX_free(c);
        EVP_MD_free(md);
    } else {
        return -1;
    }
    return (t1 - t0) / (double)iters;
}

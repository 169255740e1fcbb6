/* SHA-256 with a copyable state, for HMAC with the key's inner/outer states prepared once.
 *
 * OpenSSL 3 deprecates SHA256_Init/Update/Final in favour of EVP_MAC / EVP_MD. We keep them on purpose:
 * the core copies a prepared state by value per order (a 112-byte struct copy, no allocation), and none of
 * the EVP APIs can do that. Measured with `python bench/hmac_api.py` (same run, interleaved, on each venue's
 * real signed text; bench/RESULTS.md): encode+sign with EVP_MAC re-initialised per message is 15-19 %
 * slower, with a context dup per message 50-87 %, and with EVP_MD_CTX_copy_ex states 8-13 %, against a 10 %
 * budget; per signature (`--callgrind`) they add 1,660, 5,244 and 1,130 instructions to today's 8,198.
 * The deprecation warning is silenced here and only here: these three wrappers are the only callers.
 * If OpenSSL ever removes the low-level calls, bench/c/hmac_api.c's variant 3 is the replacement.
 */
#ifndef FO_SHA256_H
#define FO_SHA256_H

#include <openssl/sha.h>

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

static inline int fo_sha256_init(SHA256_CTX *c) { return SHA256_Init(c); }
static inline int fo_sha256_update(SHA256_CTX *c, const void *data, size_t len) { return SHA256_Update(c, data, len); }
static inline int fo_sha256_final(unsigned char *md, SHA256_CTX *c) { return SHA256_Final(md, c); }

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif

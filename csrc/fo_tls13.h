/* The TLS 1.3 record layer of the compiled TLS path (fastorder.transport.link), for application data once
 * OpenSSL has finished the handshake.
 *
 * Why: OpenSSL 3.0's SSL_write/SSL_read spend ~10,000 instructions per round trip on per-record EVP/provider
 * bookkeeping around ~1,700 of AES-GCM work (bench/RESULTS.md).  Here each direction keeps one
 * EVP_CIPHER_CTX keyed once; a record costs the nonce, the AAD, one update, the tag.
 *
 * What stays OpenSSL's: the handshake, certificate verification, session tickets (a NewSessionTicket is
 * re-sealed under the key and sequence number OpenSSL's read state expects and handed to SSL_read, so
 * resumption stays OpenSSL's own code), TLS 1.2 and any suite not listed in fo_tls13_start.
 *
 * The keys come from OpenSSL's key log callback (CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0) into a
 * fo_tls13 the link owns (SSL ex_data); key and IV are derived with HKDF-Expand-Label (RFC 8446 7.1, 7.3).
 * Secrets live only in this struct and on the stack while derived, and are wiped (OPENSSL_cleanse) when
 * done with.  Nothing here allocates per record or takes the GIL.
 */
#ifndef FO_TLS13_H
#define FO_TLS13_H

#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#define FO_TLS13_HDR 5
#define FO_TLS13_TAG 16
#define FO_TLS13_MAX_PLAIN 16384                 /* 2^14: the most plaintext one record carries */
#define FO_TLS13_MAX_CIPHER (16384 + 256)        /* RFC 8446 5.2: TLSCiphertext.length limit */
#define FO_TLS13_OVERHEAD (FO_TLS13_HDR + 1 + FO_TLS13_TAG)
#define FO_TLS13_MAX_SECRET 48

/* Record content types (RFC 8446 5.1) */
#define FO_CT_CCS 20
#define FO_CT_ALERT 21
#define FO_CT_HANDSHAKE 22
#define FO_CT_APPDATA 23

/* fo_tls13_open's errors: each maps to an alert (RFC 8446 6.2) in the link */
#define FO_E_OUTER_TYPE (-1)     /* outer type not application_data (unexpected_message) */
#define FO_E_VERSION (-2)        /* legacy_record_version not 0x0303 (decode_error) */
#define FO_E_OVERFLOW (-3)       /* too long (record_overflow) */
#define FO_E_SHORT (-4)          /* shorter than a tag and a type byte (bad_record_mac) */
#define FO_E_MAC (-5)            /* does not authenticate (bad_record_mac) */
#define FO_E_NO_TYPE (-6)        /* all padding, no content type (unexpected_message) */
#define FO_E_SEQ (-7)            /* sequence number exhausted */
#define FO_E_CRYPTO (-8)         /* an EVP call failed */

/* One direction: its cipher context (keyed, for encryption or decryption once and for all), the traffic
 * secret (for KeyUpdate), the IV, the next sequence number. */
typedef struct {
    EVP_CIPHER_CTX *ctx;
    unsigned char secret[FO_TLS13_MAX_SECRET];
    unsigned char iv[12];
    uint64_t seq;
    size_t nonce_param; /* the nonce goes in as the fixed-IV parameter of this length (0: EVP_CipherInit_ex;
                         * see fo_tls13_set_nonce) */
} fo_tls13_dir;

typedef struct {
    const EVP_CIPHER *cipher;
    const EVP_MD *md;
    size_t hlen;        /* hash length = secret length */
    size_t keylen;
    uint16_t suite;
    fo_tls13_dir w;     /* what we send (client application traffic secret N) */
    fo_tls13_dir r;     /* what we read (server application traffic secret N) */
    fo_tls13_dir o;     /* OpenSSL's read state (server secret 0, OpenSSL's count): tickets are re-sealed here */
    uint64_t rekey_after;   /* records sent under one key before we update it (AES-GCM: RFC 8446 5.5) */
    /* from the key log, until fo_tls13_start takes them */
    unsigned char csecret[FO_TLS13_MAX_SECRET];
    unsigned char ssecret[FO_TLS13_MAX_SECRET];
    size_t clen, slen;
} fo_tls13;

static int fo_tls13_ex = -1;

/* Tests: key new directions to set each nonce with EVP_CipherInit_ex (and the tag with its own call), the path
 * taken when a provider refuses the fixed-IV parameter (fo_tls13_set_nonce). */
static int fo_tls13_nonce_by_init = 0;

static inline int fo_tls13_set_nonce_by_init(int on)
{
    int old = fo_tls13_nonce_by_init;
    fo_tls13_nonce_by_init = on != 0;
    return old;
}

/* The SSL ex_data slot holding a connection's fo_tls13 (set by the link before the handshake). */
static inline int fo_tls13_index(void)
{
    if (fo_tls13_ex < 0)
        fo_tls13_ex = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return fo_tls13_ex;
}

static inline int fo_tls13_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* SSL_CTX_set_keylog_callback: keep the two application traffic secrets of a connection that has a
 * fo_tls13 (others are ignored).  Line: "LABEL <client random hex> <secret hex>". */
static void fo_tls13_keylog(const SSL *ssl, const char *line)
{
    fo_tls13 *t;
    unsigned char *dst;
    size_t *dlen, n = 0;
    const char *p;
    int hi, lo;

    if (fo_tls13_ex < 0 || (t = (fo_tls13 *)SSL_get_ex_data(ssl, fo_tls13_ex)) == NULL)
        return;
    if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0) {
        dst = t->csecret; dlen = &t->clen; p = line + 24;
    } else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0) {
        dst = t->ssecret; dlen = &t->slen; p = line + 24;
    } else {
        return;
    }
    p = strchr(p, ' ');
    if (p == NULL)
        return;
    p++;
    while (p[0] && p[1] && n < FO_TLS13_MAX_SECRET) {
        hi = fo_tls13_hexval(p[0]);
        lo = fo_tls13_hexval(p[1]);
        if (hi < 0 || lo < 0)
            break;
        dst[n++] = (unsigned char)(hi << 4 | lo);
        p += 2;
    }
    *dlen = (*p == '\0' || *p == '\n') ? n : 0;   /* a line not as expected: no secret (OpenSSL keeps the path) */
}

/* HKDF-Expand-Label(secret, label, "", outlen) for outlen <= hash length: one HMAC block (RFC 8446 7.1,
 * RFC 5869 2.3: T(1) = HMAC(secret, HkdfLabel || 0x01)). */
static inline int fo_tls13_expand_label(const EVP_MD *md, const unsigned char *secret, size_t slen,
                                        const char *label, unsigned char *out, size_t outlen)
{
    unsigned char info[2 + 1 + 6 + 32 + 1 + 1];
    unsigned char block[EVP_MAX_MD_SIZE];
    unsigned int blen = 0;
    size_t ll = strlen(label), n;
    if (ll > 32 || outlen > slen)
        return -1;
    info[0] = (unsigned char)(outlen >> 8);
    info[1] = (unsigned char)outlen;
    info[2] = (unsigned char)(6 + ll);
    memcpy(info + 3, "tls13 ", 6);
    memcpy(info + 9, label, ll);
    n = 9 + ll;
    info[n++] = 0;      /* empty context */
    info[n++] = 1;      /* HKDF-Expand counter */
    if (HMAC(md, secret, (int)slen, info, n, block, &blen) == NULL || blen < outlen)
        return -1;
    memcpy(out, block, outlen);
    OPENSSL_cleanse(block, sizeof(block));
    return 0;
}

/* Key one direction from its traffic secret: key and IV derived, the cipher context keyed, sequence 0. */
static inline int fo_tls13_set_secret(fo_tls13 *t, fo_tls13_dir *d, const unsigned char *secret, int enc)
{
    unsigned char key[32];
    int ok;
    if (d->secret != secret)
        memcpy(d->secret, secret, t->hlen);
    if (d->ctx == NULL && (d->ctx = EVP_CIPHER_CTX_new()) == NULL)
        return -1;
    ok = fo_tls13_expand_label(t->md, d->secret, t->hlen, "key", key, t->keylen) == 0
         && fo_tls13_expand_label(t->md, d->secret, t->hlen, "iv", d->iv, 12) == 0
         && EVP_CipherInit_ex(d->ctx, t->cipher, NULL, key, NULL, enc) == 1;
    OPENSSL_cleanse(key, sizeof(key));
    d->seq = 0;
    d->nonce_param = fo_tls13_nonce_by_init ? 0 : t->suite == 0x1303 ? 12 : (size_t)-1;
    return ok ? 0 : -1;
}

/* KeyUpdate (RFC 8446 7.2): application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "",
 * Hash.length); new key and IV, sequence 0. */
static inline int fo_tls13_update(fo_tls13 *t, fo_tls13_dir *d, int enc)
{
    unsigned char next[FO_TLS13_MAX_SECRET];
    int r;
    if (fo_tls13_expand_label(t->md, d->secret, t->hlen, "traffic upd", next, t->hlen) != 0)
        return -1;
    r = fo_tls13_set_secret(t, d, next, enc);
    OPENSSL_cleanse(next, sizeof(next));
    return r;
}

static inline void fo_tls13_dir_free(fo_tls13_dir *d)
{
    EVP_CIPHER_CTX_free(d->ctx);   /* the provider clears its key schedule as it frees it */
    OPENSSL_cleanse(d, sizeof(*d));
}

/* Everything wiped and freed (the struct itself too). */
static inline void fo_tls13_free(fo_tls13 *t)
{
    if (t == NULL)
        return;
    fo_tls13_dir_free(&t->w);
    fo_tls13_dir_free(&t->r);
    fo_tls13_dir_free(&t->o);
    OPENSSL_cleanse(t, sizeof(*t));
    free(t);
}

static inline fo_tls13 *fo_tls13_new(uint64_t rekey_after)
{
    fo_tls13 *t = (fo_tls13 *)calloc(1, sizeof(fo_tls13));
    if (t != NULL)
        t->rekey_after = rekey_after;
    return t;
}

/* After OpenSSL's handshake: take over application data if this is TLS 1.3 with a suite handled here and
 * the key log gave both secrets.  0: the record layer is ready (secrets from the log wiped); -1: keep
 * OpenSSL's SSL_read/SSL_write for this connection.  A client writes with the client's secret and reads with
 * the server's; a server (bench/c/tls13_http_server.c) the other way round. */
static inline int fo_tls13_start(fo_tls13 *t, SSL *ssl)
{
    const SSL_CIPHER *c;
    const unsigned char *mine, *theirs;
    int ok = -1;
    if (SSL_version(ssl) != TLS1_3_VERSION || (c = SSL_get_current_cipher(ssl)) == NULL)
        goto done;
    t->suite = (uint16_t)SSL_CIPHER_get_protocol_id(c);
    switch (t->suite) {
    case 0x1301: t->cipher = EVP_aes_128_gcm(); t->md = EVP_sha256(); t->keylen = 16; break;
    case 0x1302: t->cipher = EVP_aes_256_gcm(); t->md = EVP_sha384(); t->keylen = 32; break;
    case 0x1303: t->cipher = EVP_chacha20_poly1305(); t->md = EVP_sha256(); t->keylen = 32; break;
    default: goto done;   /* the CCM suites: OpenSSL's records */
    }
    t->hlen = (size_t)EVP_MD_get_size(t->md);
    if (t->clen != t->hlen || t->slen != t->hlen)
        goto done;
    mine = SSL_is_server(ssl) ? t->ssecret : t->csecret;
    theirs = SSL_is_server(ssl) ? t->csecret : t->ssecret;
    if (fo_tls13_set_secret(t, &t->w, mine, 1) == 0
            && fo_tls13_set_secret(t, &t->r, theirs, 0) == 0
            && fo_tls13_set_secret(t, &t->o, theirs, 1) == 0)
        ok = 0;
    OPENSSL_cleanse(t->o.secret, sizeof(t->o.secret));   /* OpenSSL's read state never updates its key */
done:
    OPENSSL_cleanse(t->csecret, sizeof(t->csecret));
    OPENSSL_cleanse(t->ssecret, sizeof(t->ssecret));
    t->clen = t->slen = 0;
    return ok;
}

/* This record's nonce (RFC 8446 5.3: the IV XOR the sequence number) into the direction's context, and for
 * opening (tag != NULL) the record's tag with it.  As the provider's fixed-IV parameter, which sets the nonce
 * alone: EVP_CipherInit_ex would also re-read key and IV lengths through OSSL_PARAM queries (AES-GCM: ~500
 * more instructions a record, ChaCha20-Poly1305 ~640; bench/tls_records.py --callgrind).  AES-GCM takes the
 * whole IV with the length SIZE_MAX; ChaCha20-Poly1305 takes its 12-byte nonce as is and derives the
 * record's Poly1305 key from it at the first update, as after EVP_CipherInit_ex.  Nonce and tag go in one
 * EVP_CIPHER_CTX_set_params call: the provider looks up each parameter it knows in the array it is given,
 * so one call instead of two saves a whole round of those look-ups (~220 instructions an open).  Should a
 * provider refuse, the context falls back to EVP_CipherInit_ex and a tag call of its own for good.
 * 1: done (the tag too); 0: failed. */
static inline int fo_tls13_set_nonce(fo_tls13_dir *d, int enc, unsigned char *tag)
{
    unsigned char nonce[12];
    OSSL_PARAM p[3];
    int i;
    memcpy(nonce, d->iv, 12);
    for (i = 0; i < 8; i++)
        nonce[4 + i] ^= (unsigned char)(d->seq >> (56 - 8 * i));
    if (d->nonce_param) {
        p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, nonce, d->nonce_param);
        p[1] = tag != NULL ? OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, FO_TLS13_TAG)
                           : OSSL_PARAM_construct_end();
        p[2] = OSSL_PARAM_construct_end();
        if (EVP_CIPHER_CTX_set_params(d->ctx, p) == 1)
            return 1;
        d->nonce_param = 0;
    }
    if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, enc) != 1)
        return 0;
    if (tag != NULL) {
        p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, FO_TLS13_TAG);
        p[1] = OSSL_PARAM_construct_end();
        return EVP_CIPHER_CTX_set_params(d->ctx, p) == 1;
    }
    return 1;
}

/* The AEAD tag, read after sealing: a parameter, not EVP_CIPHER_CTX_ctrl's translation to one. */
static inline int fo_tls13_get_tag(fo_tls13_dir *d, unsigned char *tag)
{
    OSSL_PARAM p[2];
    p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, FO_TLS13_TAG);
    p[1] = OSSL_PARAM_construct_end();
    return EVP_CIPHER_CTX_get_params(d->ctx, p);
}

/* Seal one record of content type ``type`` from in[:n] (n <= 2^14) into out (n + FO_TLS13_OVERHEAD bytes).
 * in and out may not overlap.  Returns the record's length, or -1. */
static inline long fo_tls13_seal(fo_tls13_dir *d, int type, const unsigned char *in, size_t n,
                                 unsigned char *out)
{
    size_t clen = n + 1 + FO_TLS13_TAG;
    int l = 0;
    if (n > FO_TLS13_MAX_PLAIN || d->seq == UINT64_MAX)
        return -1;
    out[0] = FO_CT_APPDATA;
    out[1] = 3;
    out[2] = 3;
    out[3] = (unsigned char)(clen >> 8);
    out[4] = (unsigned char)clen;
    memcpy(out + FO_TLS13_HDR, in, n);
    out[FO_TLS13_HDR + n] = (unsigned char)type;
    /* in place: the plaintext and its type byte become the ciphertext, then the tag follows */
    if (fo_tls13_set_nonce(d, 1, NULL) != 1
            || EVP_EncryptUpdate(d->ctx, NULL, &l, out, FO_TLS13_HDR) != 1
            || EVP_EncryptUpdate(d->ctx, out + FO_TLS13_HDR, &l, out + FO_TLS13_HDR, (int)(n + 1)) != 1
            || EVP_EncryptFinal_ex(d->ctx, out + FO_TLS13_HDR + n + 1, &l) != 1
            || fo_tls13_get_tag(d, out + FO_TLS13_HDR + n + 1) != 1)
        return -1;
    d->seq++;
    return (long)(FO_TLS13_HDR + clen);
}

/* Open the record at the start of buf[:avail] into out (at least FO_TLS13_MAX_CIPHER bytes).  Returns the
 * record's length (consumed) with its content type in *type and the content in out[:*outlen]; 0 when buf
 * does not hold a whole record yet; or a FO_E_* error.  Nothing of a record that does not authenticate is
 * returned. */
static inline long fo_tls13_open(fo_tls13_dir *d, const unsigned char *buf, size_t avail, unsigned char *out,
                                 size_t *outlen, int *type)
{
    size_t len, n;
    int l = 0, l2 = 0;
    if (avail < FO_TLS13_HDR)
        return 0;
    if (buf[0] != FO_CT_APPDATA)
        return FO_E_OUTER_TYPE;
    if (buf[1] != 3 || buf[2] != 3)
        return FO_E_VERSION;
    len = (size_t)buf[3] << 8 | buf[4];
    if (len > FO_TLS13_MAX_CIPHER)
        return FO_E_OVERFLOW;
    if (len < FO_TLS13_TAG + 1)
        return FO_E_SHORT;
    if (avail < FO_TLS13_HDR + len)
        return 0;
    if (d->seq == UINT64_MAX)
        return FO_E_SEQ;
    n = len - FO_TLS13_TAG;
    if (fo_tls13_set_nonce(d, 0, (unsigned char *)(buf + FO_TLS13_HDR + n)) != 1
            || EVP_DecryptUpdate(d->ctx, NULL, &l, buf, FO_TLS13_HDR) != 1
            || EVP_DecryptUpdate(d->ctx, out, &l, buf + FO_TLS13_HDR, (int)n) != 1)
        return FO_E_CRYPTO;
    if (EVP_DecryptFinal_ex(d->ctx, out + l, &l2) != 1) {
        OPENSSL_cleanse(out, n);   /* unauthenticated plaintext is never looked at */
        return FO_E_MAC;
    }
    d->seq++;
    /* TLSInnerPlaintext: content, content type, zero padding (RFC 8446 5.4) */
    while (n > 0 && out[n - 1] == 0)
        n--;
    if (n == 0)
        return FO_E_NO_TYPE;
    *type = out[n - 1];
    *outlen = n - 1;
    if (*outlen > FO_TLS13_MAX_PLAIN)
        return FO_E_OVERFLOW;
    return (long)(FO_TLS13_HDR + len);
}

#endif

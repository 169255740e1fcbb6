# Declarations of the hand-written C in csrc/fo_core.h (one extern block: the C signatures are checked in one place).
from libc.stdint cimport int64_t, uint64_t

cdef extern from "fo_core.h" nogil:
    int FASTORDER_DEBUG
    int FO_DEC_MAX_INT, FO_DEC_MAX_FRAC, FO_DEC_MAX_DIGITS
    enum:
        FO_DEC_OK
        FO_DEC_SYNTAX
        FO_DEC_NEGATIVE
        FO_DEC_ZERO
        FO_DEC_DIGITS

    ctypedef struct fo_dec:
        char d[38]
        int n
        int point

    int fo_dec_int_digits(const fo_dec *v)
    int fo_dec_frac_digits(const fo_dec *v)
    int fo_dec_parse(const char *s, Py_ssize_t n, fo_dec *out)
    Py_ssize_t fo_dec_len(const fo_dec *v, int min_frac)
    Py_ssize_t fo_dec_write(const fo_dec *v, int min_frac, char *out)
    int fo_dec_on_grid(const fo_dec *v, const fo_dec *step)
    int fo_dec_cmp(const fo_dec *a, const fo_dec *b)
    int fo_dec_cmp_product(const fo_dec *a, const fo_dec *b, const fo_dec *c)

    void fo_hex_encode(const unsigned char *src, Py_ssize_t n, char *out)
    Py_ssize_t fo_b64_len(Py_ssize_t n)
    Py_ssize_t fo_b64_encode(const unsigned char *src, Py_ssize_t n, char *out)
    int fo_is_unreserved(unsigned char c)
    Py_ssize_t fo_pct_len(const char *src, Py_ssize_t n)
    Py_ssize_t fo_pct_encode(const char *src, Py_ssize_t n, char *out)
    Py_ssize_t fo_u64_write(uint64_t v, char *out)
    void fo_utc_seconds(int64_t secs, char *out)
    void fo_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)

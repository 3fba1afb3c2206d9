/*
 * numparse.h - the one strict number parser for every numeric option and
 * setting: the whole string must be the number (no trailing text, no empty
 * string), within [lo, hi], and finite; and its inverse for reports, the
 * shortest decimal that reads back as the same double.
 *
 * Included as "00-base/numparse.h" from any layer.
 */
#ifndef SENTI_NUMPARSE_H
#define SENTI_NUMPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "senti/common.h"

/* A whole number in decimal ("42", "-3", "+7"; no "1e3", "0x10", " 5").
 * SENTI_ERR_FORMAT when s is not one, SENTI_ERR_RANGE when it is outside
 * [lo, hi] (however large: no wrap-around). *out is set only on success.
 * err (may be NULL) gets "'<s>' is not a whole number" or "<s> is not in [lo, hi]". */
senti_status senti_parse_int(const char *s, long long lo, long long hi, long long *out, senti_err *err);

/* Whether s[0..len) is a decimal real: [+-]? (digits [. digits?] | . digits)
 * ([eE] [+-]? digits)?, nothing else ("0.5", "-2", "1e-3", ".5", "5.").
 * No spaces, hex ("0x10", "0x1p-3"), "inf", "nan" or NUL bytes. */
bool senti_real_syntax(const char *s, size_t len);

/* A finite real number in that syntax; anything else is SENTI_ERR_FORMAT,
 * a value beyond a double (1e400, 1e-400) or outside [lo, hi] SENTI_ERR_RANGE. */
senti_status senti_parse_real(const char *s, double lo, double hi, double *out, senti_err *err);

/* The shortest "%.*g" form of v (precision 1..17) that strtod reads back as
 * exactly v, into buf (32 bytes are always enough): 0.34, not
 * 0.34000000000000002. Non-finite values give "nan", "inf" or "-inf".
 * Returns buf. */
char *senti_fmt_real(double v, char *buf, size_t cap);

#endif

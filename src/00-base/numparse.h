/*
 * numparse.h - the one strict number parser for every numeric option and
 * setting: the whole string must be the number (no trailing text, no empty
 * string), within [lo, hi], and finite.
 *
 * Included as "00-base/numparse.h" from any layer.
 */
#ifndef SENTI_NUMPARSE_H
#define SENTI_NUMPARSE_H

#include "senti/common.h"

/* A whole number in decimal ("42", "-3", "+7"; no "1e3", "0x10", " 5").
 * SENTI_ERR_FORMAT when s is not one, SENTI_ERR_RANGE when it is outside
 * [lo, hi] (however large: no wrap-around). *out is set only on success.
 * err (may be NULL) gets "'<s>' is not a whole number" or "<s> is not in [lo, hi]". */
senti_status senti_parse_int(const char *s, long long lo, long long hi, long long *out, senti_err *err);

/* A finite real number ("0.5", "1e-3", "-2"); "nan", "inf" and trailing text
 * are SENTI_ERR_FORMAT, values outside [lo, hi] SENTI_ERR_RANGE. */
senti_status senti_parse_real(const char *s, double lo, double hi, double *out, senti_err *err);

#endif

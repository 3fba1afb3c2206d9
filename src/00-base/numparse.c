/*
 * numparse.c - strict parsing of whole and real numbers (see numparse.h).
 */
#include "numparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

senti_status senti_parse_int(const char *s, long long lo, long long hi, long long *out, senti_err *err)
{
    const char *p = s ? s : "";
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return senti_err_set(err, SENTI_ERR_FORMAT, "'%s' is not a whole number", s ? s : "");
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return senti_err_set(err, SENTI_ERR_FORMAT, "'%s' is not a whole number", s);
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi)
        return senti_err_set(err, SENTI_ERR_RANGE, "%s is not in [%lld, %lld]", s, lo, hi);
    *out = v;
    return SENTI_OK;
}

senti_status senti_parse_real(const char *s, double lo, double hi, double *out, senti_err *err)
{
    char *end = NULL;
    errno = 0;
    double v = s && *s && !isspace((unsigned char)*s) ? strtod(s, &end) : NAN;
    if (!end || *end || end == s || !isfinite(v))
        return senti_err_set(err, SENTI_ERR_FORMAT, "'%s' is not a finite number", s ? s : "");
    if (v < lo || v > hi)
        return senti_err_set(err, SENTI_ERR_RANGE, "%s is not in [%g, %g]", s, lo, hi);
    *out = v;
    return SENTI_OK;
}

char *senti_fmt_real(double v, char *buf, size_t cap)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (!isfinite(v) || strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

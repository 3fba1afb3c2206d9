/*
 * numparse.c - strict parsing of whole and real numbers (see numparse.h).
 */
#include "numparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Skips a run of decimal digits; returns how many. */
static size_t digits(const char *s, size_t len, size_t *i)
{
    size_t from = *i;
    while (*i < len && isdigit((unsigned char)s[*i]))
        (*i)++;
    return *i - from;
}

bool senti_real_syntax(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t whole = digits(s, len, &i), frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        frac = digits(s, len, &i);
    }
    if (whole + frac == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!digits(s, len, &i))
            return false;
    }
    return i == len;
}

senti_status senti_parse_real(const char *s, double lo, double hi, double *out, senti_err *err)
{
    if (!s || !senti_real_syntax(s, strlen(s)))
        return senti_err_set(err, SENTI_ERR_FORMAT, "'%s' is not a finite number", s ? s : "");
    errno = 0;
    double v = strtod(s, NULL);
    if (errno == ERANGE) /* beyond a double, or so close to 0 that it reads as 0 or a subnormal */
        return senti_err_set(err, SENTI_ERR_RANGE, "%s is beyond the range of a double", s);
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

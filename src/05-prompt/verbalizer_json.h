/* Internal: a verbalizer's pieces as JSON, for the files that write one back (manifests, recipes). */
#ifndef SENTI_VERBALIZER_JSON_H
#define SENTI_VERBALIZER_JSON_H

#include <jansson.h>

#include "senti/verbalizer.h"

/* The label_map object {"dataset value": "label", ...} in the order the verbalizer read it;
 * NULL when the verbalizer maps nothing. The caller owns the reference. */
json_t *senti_verbalizer_map_json(const senti_verbalizer *v);

#endif

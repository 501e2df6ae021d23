/*
 * A pickle protocol 1 encoder producing exactly the bytes CPython's
 * pickle.dumps(d, 1) produces for the same dict, as SocketHandler.makePickle
 * sends it.
 *
 * Input is a cJSON object whose values are objects, strings, null, booleans,
 * raw numbers in Python repr() text (see record.h) or plain numbers (an
 * integral double in the 32-bit range is an int, anything else a float).
 * Arrays are not supported.
 *
 * The memo follows CPython's: every dict and string gets a BINPUT; a string
 * pickled twice is shared (BINGET) only if it is the same Python object,
 * which for distinct values means the interned "" and one-character latin-1
 * strings.
 */
#ifndef LCC_PICKLEW_H
#define LCC_PICKLEW_H

#include <cjson/cJSON.h>

#include "bytebuf.h"

/* Append the pickle of obj (an object) to out; -1 (out unchanged) if some
 * value cannot be encoded. */
int picklew_dump(const cJSON *obj, struct bytebuf *out);

#endif

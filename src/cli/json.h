/* A small JSON writer for `--json`: one document on stdout, nested objects
 * and arrays, strings escaped. Keys are given with each value inside an
 * object and are NULL inside an array. */
#ifndef OTA_CLI_JSON_H
#define OTA_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
    FILE *out;
    int depth;
    bool has_items[JSON_MAX_DEPTH]; /* a comma goes before the next value at this depth */
    char closer[JSON_MAX_DEPTH];    /* '}' or ']' for the container open at this depth */
};

void json_begin(struct json *j, FILE *out);   /* the top-level object */
void json_end(struct json *j);                /* closes it, ends the line */

void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
void json_close(struct json *j);              /* the innermost object or array */

void json_str(struct json *j, const char *key, const char *s);    /* NULL writes null */
void json_int(struct json *j, const char *key, long long v);
void json_uint(struct json *j, const char *key, unsigned long long v);
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_hex(struct json *j, const char *key, const uint8_t *p, size_t n);  /* bytes as a hex string */
/* An ota error as {"code": -55, "name": "OTA_ERR_IMG_HASH", "message": "..."}; 0 writes null. */
void json_error(struct json *j, const char *key, int err);

#endif

/* The JSON writer behind `--json`: two-space indentation, one value per
 * line, so a person can read it and any JSON parser can load it. Nesting
 * deeper than JSON_MAX_DEPTH is a programming error; the writer stays
 * balanced anyway (the extra levels share the last slot). */
#include <math.h>

#include "ota/error.h"
#include "json.h"

static void indent(struct json *j)
{
    fputc('\n', j->out);
    for (int i = 0; i < j->depth; i++) {
        fputs("  ", j->out);
    }
}

static void write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p == 0x7F) {
                fprintf(out, "\\u%04x", *p);
            } else {
                fputc(*p, out);  /* UTF-8 passes through; labels and versions are ASCII */
            }
        }
    }
    fputc('"', out);
}

/* The comma, newline and key before a value at the current depth. */
static void start_value(struct json *j, const char *key)
{
    if (j->has_items[j->depth]) {
        fputc(',', j->out);
    }
    j->has_items[j->depth] = true;
    indent(j);
    if (key && j->closer[j->depth] == '}') {
        write_string(j->out, key);
        fputs(": ", j->out);
    }
}

static void open_container(struct json *j, char opener, char closer)
{
    fputc(opener, j->out);
    if (j->depth + 1 < JSON_MAX_DEPTH) {
        j->depth++;
    }
    j->has_items[j->depth] = false;
    j->closer[j->depth] = closer;
}

void json_begin(struct json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->has_items[0] = false;
    j->closer[0] = 0;
    open_container(j, '{', '}');
}

void json_object(struct json *j, const char *key)
{
    start_value(j, key);
    open_container(j, '{', '}');
}

void json_array(struct json *j, const char *key)
{
    start_value(j, key);
    open_container(j, '[', ']');
}

void json_close(struct json *j)
{
    if (j->depth == 0) {
        return;
    }
    char closer = j->closer[j->depth];
    bool had = j->has_items[j->depth];
    j->depth--;
    if (had) {
        indent(j);
    }
    fputc(closer, j->out);
}

void json_end(struct json *j)
{
    while (j->depth > 0) {
        json_close(j);
    }
    fputc('\n', j->out);
    fflush(j->out);
}

void json_str(struct json *j, const char *key, const char *s)
{
    start_value(j, key);
    if (s) {
        write_string(j->out, s);
    } else {
        fputs("null", j->out);
    }
}

void json_int(struct json *j, const char *key, long long v)
{
    start_value(j, key);
    fprintf(j->out, "%lld", v);
}

void json_uint(struct json *j, const char *key, unsigned long long v)
{
    start_value(j, key);
    fprintf(j->out, "%llu", v);
}

void json_double(struct json *j, const char *key, double v)
{
    start_value(j, key);
    if (isfinite(v)) {
        fprintf(j->out, "%.6g", v);
    } else {
        fputs("null", j->out);  /* JSON has no NaN or infinity */
    }
}

void json_bool(struct json *j, const char *key, bool v)
{
    start_value(j, key);
    fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
    start_value(j, key);
    fputs("null", j->out);
}

void json_hex(struct json *j, const char *key, const uint8_t *p, size_t n)
{
    start_value(j, key);
    fputc('"', j->out);
    for (size_t i = 0; i < n; i++) {
        fprintf(j->out, "%02x", p[i]);
    }
    fputc('"', j->out);
}

void json_error(struct json *j, const char *key, int err)
{
    if (err == OTA_OK) {
        json_null(j, key);
        return;
    }
    json_object(j, key);
    json_int(j, "code", err);
    json_str(j, "name", ota_errname(err));
    json_str(j, "message", ota_strerror(err));
    json_close(j);
}

/* The --json documents' parts for `ota delta info|make|apply` and
 * `ota release`: a file as {file, size, sha256}, a patch header, a
 * manifest. */
#ifndef OTA_CLI_DELTA_REPORT_H
#define OTA_CLI_DELTA_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ota/delta.h"
#include "ota/manifest.h"
#include "json.h"

/* "esp", "detools", "compact" (the --format names), NULL for no patch. */
const char *delta_form_key(enum ota_delta_form f);
/* The longer name the text output gives. */
const char *delta_form_name(enum ota_delta_form f);

/* {"file": path, "size": len, "sha256": SHA-256 of the bytes}. */
void report_file(struct json *j, const char *key, const char *path, const uint8_t *data, size_t len);
/* The same with a digest already computed. */
void report_file_digest(struct json *j, const char *key, const char *path, size_t len,
                        const uint8_t sha[OTA_SHA256_LEN]);

/* A patch header's facts, as keys of the object open now: format,
 * format_name, base_app_sha256, new_sha256, old_size, new_size (null
 * where the format does not carry it). */
void report_delta_header(struct json *j, const struct ota_delta_header *h);

/* Every field of a manifest, as an object. */
void report_manifest(struct json *j, const char *key, const struct ota_manifest *m);

#endif

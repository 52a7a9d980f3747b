/*
 * sdkconfig files (what menuconfig writes): CONFIG_KEY=value lines,
 * "# CONFIG_KEY is not set" for a disabled bool, other comments and blank
 * lines ignored. Strings are double-quoted with \" and \\ escapes.
 *
 * Reentrancy: parse keeps no state between calls; the callback runs
 * synchronously, once per setting, in the caller's context.
 */
#ifndef OTA_SDKCONFIG_H
#define OTA_SDKCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The longest value accepted, in characters (a presigned URL is 1-2 KB). */
#define OTA_SDKCONFIG_VALUE_MAX 4095
/* The longest key, without CONFIG_. */
#define OTA_SDKCONFIG_KEY_MAX 255

/* Called per setting; key without the CONFIG_ prefix, value unquoted
 * ("n" for "is not set"). Both NUL-terminated, valid during the call.
 * Return non-zero to stop (returned from ota_sdkconfig_parse). */
typedef int (*ota_sdkconfig_cb)(void *ctx, const char *key, const char *value);

/* Errors: OTA_ERR_CONFIG_SYNTAX, or OTA_ERR_TOO_LONG for a key longer than
 * OTA_SDKCONFIG_KEY_MAX or a value longer than OTA_SDKCONFIG_VALUE_MAX
 * (refused, never cut); *bad_line is the 1-based line, also of the setting
 * the callback stopped at. */
int ota_sdkconfig_parse(const char *text, size_t len, ota_sdkconfig_cb cb, void *ctx, unsigned *bad_line);

/* A bool setting as menuconfig writes it: "y" is on; "n" (also what a
 * "# CONFIG_X is not set" line reads as) is off. Anything else ("yes", "1",
 * "true", "Y", "") is OTA_ERR_CONFIG_BOOL and leaves *on unchanged: a typo
 * must not silently turn a check off. */
int ota_sdkconfig_bool(const char *value, bool *on);

/* For a consumer that knows its keys: *is_unknown tells whether key is none
 * of known[0..count); if so, returns the known key it is most likely a typo
 * of (at most 3 edits away), else NULL. */
const char *ota_sdkconfig_unknown(const char *key, const char *const *known, size_t count, bool *is_unknown);

#endif

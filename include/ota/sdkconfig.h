/*
 * sdkconfig files (what menuconfig writes): CONFIG_KEY=value lines,
 * "# CONFIG_KEY is not set" for a disabled bool, other comments and blank
 * lines ignored. Strings are double-quoted with \" and \\ escapes.
 */
#ifndef OTA_SDKCONFIG_H
#define OTA_SDKCONFIG_H

#include <stddef.h>

/* Called per setting; key without the CONFIG_ prefix, value unquoted
 * ("n" for "is not set"). Both NUL-terminated, valid during the call.
 * Return non-zero to stop (returned from ota_sdkconfig_parse). */
typedef int (*ota_sdkconfig_cb)(void *ctx, const char *key, const char *value);

/* Errors: OTA_ERR_CONFIG_SYNTAX (*bad_line is the 1-based line). Keys and
 * values longer than 255 characters are a syntax error. */
int ota_sdkconfig_parse(const char *text, size_t len, ota_sdkconfig_cb cb, void *ctx, unsigned *bad_line);

#endif

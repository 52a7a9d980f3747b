/* Redirect targets made absolute (private to the port). */
#ifndef OTA_IDF_LOCATION_H
#define OTA_IDF_LOCATION_H

#include <stdbool.h>
#include <stddef.h>

/* location (a Location header: absolute, "//host/...", "/path" or a
 * relative path) resolved against base (an absolute http(s) URL) into out.
 * Dot segments are left to the server. Errors: OTA_ERR_URI (an empty
 * location, a base without "scheme://", or no room in out). */
int idf_resolve_location(const char *base, const char *location, char *out, size_t cap);

#endif

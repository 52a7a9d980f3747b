/* Version strings as ESP-ADF compares them. Reentrant. */
#ifndef OTA_VERSION_H
#define OTA_VERSION_H

#include <stdint.h>

/* "vA.B.C" -> (A<<16)|(B<<8)|C; -1 for anything else (ESP-ADF's parser). */
int32_t ota_version_parse(const char *v);

#endif

/* Inside the app update: the plain writer, and the decrypt layer in front of it. */
#ifndef OTA_APP_INTERNAL_H
#define OTA_APP_INTERNAL_H

#include "ota/update.h"

/* Push plain image bytes: head checks, then the partition writer. */
int ota_app_push_plain(struct ota_app_update *u, const uint8_t *p, size_t len);

#ifndef OTA_NO_DECRYPT
/* Does the layer take these bytes (an encrypted image, from its first byte)? */
bool ota_app_decrypt_claims(struct ota_app_update *u, const uint8_t *p, size_t len);
int ota_app_decrypt_write(struct ota_app_update *u, const uint8_t *p, size_t len);
int ota_app_decrypt_seek(struct ota_app_update *u, uint64_t off);
/* The tag and the length, before anything is selected. */
int ota_app_decrypt_finish(struct ota_app_update *u);
void ota_app_decrypt_stop(struct ota_app_update *u);
#endif

#endif

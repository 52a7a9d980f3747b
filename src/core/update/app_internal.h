/* Inside the app update: the plain writer, and the decrypt layer in front of it. */
#ifndef OTA_APP_INTERNAL_H
#define OTA_APP_INTERNAL_H

#include "ota/update.h"

/* OTA_ERR_PROTECTED, logged, when part overlaps what ota_device_protected
 * guards (the app and the data writer refuse it alike). */
int ota_device_writable(const struct ota_device *dev, const struct ota_partition *part);

/* The app and the data writer refuse an image longer than the partition
 * alike, in one sentence: its kind, length, the partition, its room and
 * what else the partition holds. */
#define OTA_LOG_DOES_NOT_FIT "%s of %lld bytes does not fit partition %s (%u bytes%s): nothing written"

/* Push plain image bytes: head checks, then the partition writer. */
int ota_app_push_plain(struct ota_app_update *u, const uint8_t *p, size_t len);

/* Position the plain writer (a resume replays the bytes before off). */
int ota_app_seek_plain(struct ota_app_update *u, uint64_t off);

/* A new bound for the image (before its first byte): the verifier with it. */
void ota_app_set_limit(struct ota_app_update *u, uint32_t limit);

#ifndef OTA_NO_DECRYPT
/* A chunked transfer the journal holds: the encrypted offset to continue
 * at (the chunk boundary below its durable bytes), the writer set up for
 * it; 0 when there is none for this source. */
int64_t ota_app_decrypt_resumable(struct ota_app_update *u, int64_t src_len, const char *validator);
uint64_t ota_app_decrypt_resume_offset(uint32_t durable, uint8_t chunk_log2);
/* Does the layer take these bytes (an encrypted image, from its first byte)? */
bool ota_app_decrypt_claims(struct ota_app_update *u, const uint8_t *p, size_t len);
int ota_app_decrypt_write(struct ota_app_update *u, const uint8_t *p, size_t len);
int ota_app_decrypt_seek(struct ota_app_update *u, uint64_t off);
/* The tag and the length, before anything is selected. */
int ota_app_decrypt_finish(struct ota_app_update *u);
void ota_app_decrypt_stop(struct ota_app_update *u);
#endif

#endif

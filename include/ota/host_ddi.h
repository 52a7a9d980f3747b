/*
 * Host port: the DDI client's pending-action record, IMG.ddi beside the
 * device image (its real path, like the eFuses), in the core's text format
 * (ota_ddi_record_format), written whole through the host's one writer
 * (temp file, fsync, rename): a power cut leaves the old record or the new
 * one, never a torn one.
 */
#ifndef OTA_HOST_DDI_H
#define OTA_HOST_DDI_H

#include "ota/ddi.h"

/* OTA_ERR_NOT_FOUND: no record; OTA_ERR_DDI_RECORD: unreadable, oversized
 * or malformed. ctx is the device image's path (for ota_ddi_config). */
int ota_host_ddi_record_load(void *ctx, struct ota_ddi_record *rec);
int ota_host_ddi_record_save(void *ctx, const struct ota_ddi_record *rec);

#endif

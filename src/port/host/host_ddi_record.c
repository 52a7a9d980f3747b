/* IMG.ddi: the DDI pending-action record (see include/ota/host_ddi.h). */
#include <stdlib.h>

#include "ota/error.h"
#include "ota/host_ddi.h"
#include "ota/host_device.h"

#define SUFFIX ".ddi"

int ota_host_ddi_record_load(void *ctx, struct ota_ddi_record *rec)
{
    char text[OTA_DDI_RECORD_TEXT_MAX + 1];
    size_t len = 0;
    bool missing = false;
    char *path = ota_host_side_path(ctx, SUFFIX);
    if (!path) {
        return OTA_ERR_DDI_RECORD;
    }
    int err = ota_host_side_read(path, text, sizeof(text), &len, &missing, OTA_ERR_DDI_RECORD);
    free(path);
    if (missing) {
        return OTA_ERR_NOT_FOUND;
    }
    return err ? err : ota_ddi_record_parse(text, len, rec);
}

int ota_host_ddi_record_save(void *ctx, const struct ota_ddi_record *rec)
{
    char text[OTA_DDI_RECORD_TEXT_MAX];
    size_t len;
    int err = ota_ddi_record_format(rec, text, sizeof(text), &len);
    return err ? err : ota_host_side_save(ctx, SUFFIX, text, len, OTA_ERR_DDI_RECORD);
}

/* menuconfig's "hawkBit DDI server" settings into the DDI client: the
 * server, tenant and id, the token (on the transport, scoped to the
 * server), and the pending-action record in its data partition. */
#include <stdio.h>
#include <string.h>

#include "sdkconfig.h"

#include "ota/error.h"
#include "ota/idf_port.h"
#include "ota/log.h"

static const char *TAG = "OTA_DDI";

int ota_idf_ddi_setup(struct ota_idf_ddi *d, struct ota_idf_transport *t, const struct ota_flash *flash,
                      const struct ota_ptable *table, const char *server)
{
    struct ota_ddi_config c;
    server = server ? server : CONFIG_OTA_DDI_SERVER;
    if (!server[0]) {
        return OTA_ERR_NOT_FOUND;  /* no DDI server configured */
    }
    const struct ota_partition *p = ota_pt_find_label(table, CONFIG_OTA_DDI_RECORD_PARTITION);
    int err = p ? ota_ddi_store_init(&d->store, flash, p) : OTA_ERR_NOT_FOUND;
    if (err) {
        OTA_LOGE(TAG, "the record partition '%s': %s", CONFIG_OTA_DDI_RECORD_PARTITION, ota_strerror(err));
        return err;
    }
    const char *token = CONFIG_OTA_DDI_TARGET_TOKEN[0] ? CONFIG_OTA_DDI_TARGET_TOKEN : CONFIG_OTA_DDI_GATEWAY_TOKEN;
    if (token[0]) {
        snprintf(d->auth, sizeof(d->auth), "%s %s", CONFIG_OTA_DDI_TARGET_TOKEN[0] ? "TargetToken" : "GatewayToken",
                 token);
        t->cfg.authorization = d->auth;
        t->cfg.authorization_scope = server;
    }
    memset(&c, 0, sizeof(c));
    c.server = server;
    c.tenant = CONFIG_OTA_DDI_TENANT;
    c.controller_id = CONFIG_OTA_DDI_CONTROLLER_ID;
    c.record_load = ota_ddi_store_load;
    c.record_save = ota_ddi_store_save;
    c.record_ctx = &d->store;
    return ota_ddi_init(&d->client, &c);
}

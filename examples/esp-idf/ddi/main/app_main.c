/* One poll of a hawkBit DDI server: report an earlier action's outcome,
 * answer a cancel, send the attributes, install a deployment; restart when
 * a new app was switched to. With a release manifest configured too
 * (CONFIG_OTA_MANIFEST_URI), the manifest's release item runs after the
 * poll when the server could not be reached or used, or deployed nothing
 * and no install waits for its restart (ota_ddi_manifest_turn). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_LINUX
#include "esp_private/partition_linux.h"
#endif

#include "ota/ddi.h"
#include "ota/error.h"
#include "ota/idf_port.h"
#include "ota/idf_serial.h"
#include "ota/release.h"

static const char *TAG = "DDI_EXAMPLE";

/* Caller-owned, static: the service (about 11 KiB) and the client (about 16 KiB). */
static struct ota_service s_svc;
static struct ota_idf_flash s_flash;
static struct ota_idf_transport s_transport;
static struct ota_idf_ddi s_ddi;
static struct ota_ddi_result s_res;
/* The serverless path: the release item (about 10 KiB) and its serial store. */
static struct ota_release_item s_rel;
static struct ota_idf_serial_store s_serial;
static struct ota_item s_release;

static void on_event(void *ctx, const struct ota_event *ev)
{
    (void)ctx;
    if (ev->type == OTA_EVENT_RESULT) {
        ESP_LOGI(TAG, "List id: %u, %s (%s)", ev->id, ev->err ? "OTA failed" : "OTA success", ota_errname(ev->err));
    }
}

static void use_flash_file(void)
{
#if CONFIG_IDF_TARGET_LINUX
    const char *image = getenv("OTA_FLASH_IMAGE");
    if (image && *image) {
        esp_partition_file_mmap_ctrl_t *c = esp_partition_get_file_mmap_ctrl_input();
        snprintf(c->flash_file_name, sizeof(c->flash_file_name), "%s", image);
        c->flash_file_size = 0;
        c->partition_file_name[0] = '\0';
        c->remove_dump = false;
    }
#endif
}

static int start(void)
{
    struct ota_service_config sc;
    struct ota_idf_transport_config tc;
    int err = ota_idf_flash_init(&s_flash);
    if (err) {
        return err;
    }
    ota_idf_config_from_kconfig(&sc, &tc);
    ota_idf_transport_init(&s_transport, &tc);
    sc.flash = &s_flash.flash;
    sc.transport = &s_transport.transport;
    sc.on_event = on_event;
    if ((err = ota_idf_running_app_offset(&s_flash.flash, &sc.running_app_offset)) ||
        (err = ota_service_init(&s_svc, &sc))) {
        return err;
    }
    const char *server = getenv("OTA_DDI_SERVER");
    return ota_idf_ddi_setup(&s_ddi, &s_transport, &s_flash.flash, &s_svc.dev.table, server && *server ? server : NULL);
}

/* The release item from menuconfig ("Releases"); on the linux target
 * OTA_MANIFEST_URI may name the manifest instead (the tests' web server
 * has a fresh port). false: no manifest configured. */
static bool release_configured(int *err)
{
    struct ota_release_config rc;
    const char *uri = CONFIG_OTA_MANIFEST_URI;
#if CONFIG_IDF_TARGET_LINUX
    const char *env = getenv("OTA_MANIFEST_URI");
    uri = env && *env ? env : uri;
#endif
    *err = OTA_OK;
    if (!uri[0]) {
        return false;  /* the DDI server only */
    }
    memset(&rc, 0, sizeof(rc));
    if ((*err = ota_idf_release_config_from_kconfig(&rc, &s_serial, &s_flash.flash, &s_svc.dev.table))) {
        return false;  /* a release item that would refuse every manifest: said at start-up, not after a poll */
    }
    rc.manifest_uri = uri;
    ota_release_item_init(&s_release, &s_rel, &rc);
    return true;
}

/* After the poll: the manifest's turn or not (the core's rule), said in the log. */
static bool manifest_turn(int poll_err)
{
    switch (ota_ddi_manifest_turn(&s_ddi.client, &s_res)) {
    case OTA_DDI_MANIFEST_RUN_UNREACHABLE:
        ESP_LOGW(TAG, "DDI server %s unreachable or unusable (%s): the release manifest instead",
                 s_ddi.client.cfg.server, ota_errname(poll_err ? poll_err : OTA_ERR_DDI_NO_API));
        return true;
    case OTA_DDI_MANIFEST_SKIP_DEPLOYED:
        ESP_LOGI(TAG, "the DDI server deployed action %s: the release manifest is not read this time",
                 s_res.dep.action_id[0] ? s_res.dep.action_id : "(refused)");
        return false;
    case OTA_DDI_MANIFEST_SKIP_PENDING:
        ESP_LOGI(TAG, "DDI action %s waits for its restart or trial: the release manifest is not read this time",
                 s_ddi.client.rec.action_id);
        return false;
    case OTA_DDI_MANIFEST_SKIP_RECORD:
        ESP_LOGW(TAG, "the DDI pending-action record is unreadable: the release manifest is not read this time");
        return false;
    case OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED:
        break;
    }
    ESP_LOGI(TAG, "the DDI server has no deployment for this device: the release manifest");
    return true;
}

/* The release item alone through the service. Returns its error; *reboot: restart into its app. */
static int run_release(bool *reboot)
{
    int err = ota_service_set_upgrade_list(&s_svc, &s_release, 1);
    if (!err) {
        err = ota_service_start(&s_svc, reboot);
    }
    const char *action = s_rel.accepted ? ota_release_action_name(s_rel.decision.action) : "not accepted";
    ESP_LOGI(TAG, "release manifest: %s (%s)%s", ota_errname(err), action, *reboot ? "; restart" : "");
    return err;
}

static void poll_task(void *arg)
{
    (void)arg;
    int release_err = OTA_OK;
    int err = start();
    bool release = !err && release_configured(&release_err);  /* before the poll: a bad setting stops both */
    if (err || release_err) {
        err = err ? err : release_err;
        ESP_LOGE(TAG, "cannot set up: %s (%s)", ota_strerror(err), ota_errname(err));
        exit(1);
    }
    err = ota_ddi_poll(&s_ddi.client, &s_svc, &s_res);
    ESP_LOGI(TAG, "poll: %s; deployment: %s; next poll in %u s%s%s", ota_errname(err), ota_errname(s_res.err),
             (unsigned)s_res.sleep_s, s_res.reported ? "; outcome reported" : "", s_res.reboot ? "; restart" : "");
    bool reboot = s_res.reboot;
    bool failed = err || s_res.err;
    if (release && manifest_turn(err)) {
        /* The manifest's status, and the poll's error unless the server
         * could not be reached at all (said in the warning), as ota run. */
        failed = run_release(&reboot) != OTA_OK || (err && s_res.reached);
    }
#if CONFIG_IDF_TARGET_LINUX
    exit(failed ? 1 : 0);  /* the host's test reads the status; the restart is the next process */
#else
    (void)failed;
    if (reboot) {
        esp_restart();
    }
    vTaskDelete(NULL);
#endif
}

void app_main(void)
{
    use_flash_file();
    esp_event_loop_create_default();  /* esp_http_client posts to it */
    xTaskCreate(poll_task, "ddi_poll", 16 * 1024, NULL, 5, NULL);
}

/* ota run: the seed example on an emulated device. Wi-Fi and the SD card
 * slot cannot exist here: the host's network is the link and a folder is
 * the card; both steps are logged as the device would log them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_efuse.h"
#include "ota/host_mem.h"
#include "ota/host_transport.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "ota/sdkconfig.h"
#include "ota/service.h"
#include "../../examples/ota_example/tone_upgrade.h"
#include "cli.h"
#include "commands.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

#define STR_MAX 256

/* The example's "OTA App Configuration" menu, with its defaults. */
struct example_config {
    char wifi_ssid[STR_MAX];
    char wifi_password[STR_MAX];
    char firmware_uri[STR_MAX];
    char data_uri[STR_MAX];
    char data_label[STR_MAX];
    bool force_version_check;
    bool forbid_plain_http;
    bool have_app, have_data;
};

static void set_str(char *dst, const char *v)
{
    snprintf(dst, STR_MAX, "%s", v);
}

static int on_setting(void *ctx, const char *key, const char *value)
{
    struct example_config *c = ctx;
    if (strcmp(key, "WIFI_SSID") == 0) {
        set_str(c->wifi_ssid, value);
    } else if (strcmp(key, "WIFI_PASSWORD") == 0) {
        set_str(c->wifi_password, value);
    } else if (strcmp(key, "FIRMWARE_UPGRADE_URI") == 0) {
        set_str(c->firmware_uri, value);
        c->have_app = value[0] != '\0';
    } else if (strcmp(key, "DATA_UPGRADE_URI") == 0) {
        set_str(c->data_uri, value);
        c->have_data = value[0] != '\0';
    } else if (strcmp(key, "DATA_PARTITION_LABEL") == 0) {
        set_str(c->data_label, value);
    } else if (strcmp(key, "FORCE_CHECK_FIRMWARE_VERSION_NUMBER") == 0) {
        c->force_version_check = strcmp(value, "y") == 0;
    } else if (strcmp(key, "OTA_FORBID_PLAIN_HTTP") == 0) {
        c->forbid_plain_http = strcmp(value, "y") == 0;  /* ours: refuse unauthenticated http:// */
    }
    return 0;
}

struct run_state {
    bool tty;
    unsigned failed;
    int last_progress;  /* percent shown, -1 none */
};

static void on_event(void *ctx, const struct ota_event *ev)
{
    struct run_state *st = ctx;
    if (ev->type == OTA_EVENT_RESULT) {
        if (st->tty && st->last_progress >= 0) {
            fputc('\n', stdout);
            st->last_progress = -1;
        }
        if (ev->err == OTA_OK) {
            OTA_LOGI(TAG, "List id: %u, OTA success", ev->id);
        } else {
            st->failed++;
            OTA_LOGE(TAG, "List id: %u, OTA failed: %s (%s: %s)", ev->id, ota_result_name(ev->result),
                     ota_errname(ev->err), ota_strerror(ev->err));
        }
    }
}

static void on_progress(void *ctx, unsigned id, uint64_t done, int64_t total)
{
    struct run_state *st = ctx;
    (void)id;
    if (total <= 0) {
        return;
    }
    int pct = (int)(done * 100 / (uint64_t)total);
    if (st->tty) {
        if (pct != st->last_progress) {
            int bar = pct / 4;
            printf("\r[%-25.*s] %3d%% %llu/%lld", bar, "#########################", pct,
                   (unsigned long long)done, (long long)total);
            fflush(stdout);
            st->last_progress = pct;
        }
    } else if (pct / 25 != st->last_progress / 25 || st->last_progress < 0) {
        OTA_LOGI("OTA_DEFAULT", "progress: %llu of %lld bytes (%d%%)", (unsigned long long)done, (long long)total,
                 pct);
        st->last_progress = pct;
    }
}

static void sleep_ms(void *ctx, unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    (void)ctx;
    nanosleep(&ts, NULL);
}

/* Flash timing model of a common 4 MB SPI NOR (W25Q32JV class). */
#define MS_PAGE_PROGRAM 0.4
#define MS_SECTOR_ERASE 45.0
#define MS_BLOCK_ERASE 150.0

/* What the update cost the flash, and what erasing the whole slot up front
 * (ESP-ADF's original) would have cost on top of the same programs. */
static void log_wear(const struct ota_flash_counters *c, uint32_t slot_size)
{
    double ms = (double)c->programs * MS_PAGE_PROGRAM + (double)c->sector_erases * MS_SECTOR_ERASE +
                (double)c->block_erases * MS_BLOCK_ERASE;
    OTA_LOGI("FLASH", "%llu sector erases, %llu block erases (%llu sectors' worth), %llu page programs, %llu bytes "
             "programmed; emulated flash time %.1f s", (unsigned long long)c->sector_erases,
             (unsigned long long)c->block_erases, (unsigned long long)(c->sector_erases + 16 * c->block_erases),
             (unsigned long long)c->programs, (unsigned long long)c->bytes_programmed, ms / 1000.0);
    if (slot_size) {
        OTA_LOGI("FLASH", "a whole-slot erase up front (%u sectors) would cost %.1f s of erase by 64 KiB blocks, "
                 "%.1f s by sectors", (unsigned)(slot_size / 4096), (double)(slot_size / 65536) * MS_BLOCK_ERASE / 1000.0,
                 (double)(slot_size / 4096) * MS_SECTOR_ERASE / 1000.0);
    }
}

/* NULL leaves the default (0); otherwise a positive number. */
static bool parse_ms(const char *s, long *out)
{
    char *end;
    if (!s) {
        return true;
    }
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v <= 0) {
        return false;
    }
    *out = v;
    return true;
}

static char *read_text(const char *path)
{
    uint8_t *data;
    size_t len;
    return cli_read_file(path, &data, &len) ? NULL : (char *)data;
}

int cmd_run(int argc, char **argv)
{
    const char *pos[1], *config = NULL, *app = NULL, *data = NULL, *sdcard = NULL, *ca = NULL, *data_ca = NULL;
    const char *connect_s = NULL, *read_s = NULL, *cut_s = NULL, *retries_s = NULL, *backoff_s = NULL;
    const char *self_test = "pass";
    bool force = false, no_reboot = false, rollback = false, forbid_http = false, no_tone = false, brk = false;
    int npos, rc;
    struct cli_opt opts[] = {{"config", &config, NULL}, {"app", &app, NULL}, {"data", &data, NULL},
                             {"sdcard", &sdcard, NULL}, {"ca", &ca, NULL}, {"data-ca", &data_ca, NULL}, {"force-version-check", NULL, &force},
                             {"no-reboot", NULL, &no_reboot}, {"rollback", NULL, &rollback},
                             {"forbid-http", NULL, &forbid_http}, {"no-tone-check", NULL, &no_tone},
                             {"break-after-fail", NULL, &brk},
                             {"connect-timeout", &connect_s, NULL}, {"read-timeout", &read_s, NULL},
                             {"retries", &retries_s, NULL}, {"retry-backoff", &backoff_s, NULL},
                             {"power-cut-at", &cut_s, NULL}, {"self-test", &self_test, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    static struct example_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    set_str(cfg.data_label, "flash_tone");
    if (config) {
        char *text = read_text(config);
        unsigned bad = 0;
        if (!text) {
            return CLI_FAIL;
        }
        int err = ota_sdkconfig_parse(text, strlen(text), on_setting, &cfg, &bad);
        free(text);
        if (err) {
            cli_error("%s:%u: %s", config, bad, ota_strerror(err));
            return CLI_FAIL;
        }
    }
    /* Flags override the file. */
    if (app) {
        set_str(cfg.firmware_uri, app);
        cfg.have_app = true;
    }
    if (data) {
        const char *eq = strchr(data, '=');
        if (!eq || eq == data) {
            cli_error("--data wants LABEL=URI, not '%s'", data);
            return CLI_USAGE;
        }
        snprintf(cfg.data_label, STR_MAX, "%.*s", (int)(eq - data), data);
        set_str(cfg.data_uri, eq + 1);
        cfg.have_data = true;
    }
    cfg.force_version_check |= force;
    if (strcmp(self_test, "pass") != 0 && strcmp(self_test, "fail") != 0 && strcmp(self_test, "skip") != 0) {
        cli_error("--self-test pass|fail|skip, not '%s'", self_test);
        return CLI_USAGE;
    }
    if (!cfg.have_app && !cfg.have_data) {
        cli_error("nothing to upgrade: give --app URI and/or --data LABEL=URI (or a --config file)");
        return CLI_USAGE;
    }
    /* Each item verifies its server with its own CA (the data item's
     * defaults to the app's); without one, the system store. */
    char *ca_pem = NULL, *data_ca_pem = NULL;
    if ((ca && !(ca_pem = read_text(ca))) || (data_ca && !(data_ca_pem = read_text(data_ca)))) {
        free(ca_pem);
        return CLI_FAIL;
    }

    struct ota_host_flash hf;
    if (cli_open_device(pos[0], &hf, NULL)) {
        free(ca_pem);
        free(data_ca_pem);
        return CLI_FAIL;
    }
    OTA_LOGI(TAG, "[1.0] Initialize peripherals management");
    OTA_LOGI(TAG, "[1.1] Start and wait for Wi-Fi network");
    if (cfg.wifi_ssid[0]) {
        OTA_LOGI("PERIPH_WIFI", "connected to '%s' (emulated: the host's network is the link)", cfg.wifi_ssid);
    } else {
        OTA_LOGI("PERIPH_WIFI", "no SSID configured (emulated: the host's network is the link)");
    }
    OTA_LOGI(TAG, "[1.2] Mount SDCard");
    if (sdcard) {
        OTA_LOGI("SDCARD", "base path=/sdcard (the folder %s)", sdcard);
    } else {
        OTA_LOGW("SDCARD", "no SD card (give --sdcard DIR for file:// items)");
    }

    struct ota_host_transport_config tc = {sdcard, 0, 0, 0};
    long retries = -1, backoff = 0, cut_at = 0;
    if (!parse_ms(connect_s, &tc.connect_timeout_ms) || !parse_ms(read_s, &tc.read_timeout_ms) ||
        !parse_ms(backoff_s, &backoff) || !parse_ms(cut_s, &cut_at) ||
        (retries_s && (!parse_ms(retries_s, &retries) && strcmp(retries_s, "0") != 0))) {
        cli_error("timeouts, --retry-backoff and --power-cut-at are positive numbers; --retries 0 or more");
        ota_host_flash_close(&hf);
        free(ca_pem);
        free(data_ca_pem);
        return CLI_USAGE;
    }
    if (retries_s && strcmp(retries_s, "0") == 0) {
        retries = 0;
    }
    /* Emulation of a power loss at the N-th flash program/erase. */
    hf.cut_at = (uint64_t)cut_at;
    hf.cut_mode = OTA_CUT_TORN;
    hf.cut_seed = (uint32_t)cut_at;
    static struct ota_host_transport ht;
    ota_host_transport_global_init();
    ota_host_transport_init(&ht, &tc);

    struct run_state st = {isatty(STDOUT_FILENO) != 0, 0, -1};
    struct ota_service_config sc;
    memset(&sc, 0, sizeof(sc));
    sc.flash = &hf.flash;
    sc.transport = &ht.transport;
    sc.on_event = on_event;
    sc.on_progress = on_progress;
    sc.cb_ctx = &st;
    sc.force_version_check = cfg.force_version_check;
    sc.rollback = rollback;
    sc.allow_plain_http = !(forbid_http || cfg.forbid_plain_http);
    sc.chip_id = OTA_CHIP_ESP32;
    sc.chip_rev = 300;
    sc.no_retry = retries == 0;
    sc.max_retries = retries > 0 ? (unsigned)retries : 0;
    sc.retry_backoff_ms = (unsigned)backoff;
    sc.sleep_ms = sleep_ms;

    static struct ota_efuse efuse;
    if (ota_host_efuse_load(pos[0], &efuse)) {
        cli_error("%s.efuse: cannot read the emulated eFuses", pos[0]);
        ota_host_flash_close(&hf);
        free(ca_pem);
        free(data_ca_pem);
        return CLI_FAIL;
    }
    sc.trusted_key_digest = efuse.key_burned ? efuse.key_digest : NULL;
    sc.secure_version = efuse.secure_version;
    struct ota_boot_opts bo = {rollback, OTA_CHIP_ESP32, 300, sc.trusted_key_digest, sc.secure_version, true};
    if (cli_running_app(pos[0], &hf.flash, &bo, &sc.running_app_offset)) {
        ota_host_flash_close(&hf);
        free(ca_pem);
        free(data_ca_pem);
        return CLI_FAIL;
    }
    if (efuse.key_burned) {
        OTA_LOGI("secure_boot_v2", "enabled: apps must be signed by the key whose digest is in eFuse");
    }
    OTA_LOGI(TAG, "[2.0] Create OTA service");
    static struct ota_service svc;
    int err = ota_service_init(&svc, &sc);
    if (err) {
        cli_error("%s: cannot start the service: %s", pos[0], ota_strerror(err));
        ota_host_flash_close(&hf);
        free(ca_pem);
        free(data_ca_pem);
        return CLI_FAIL;
    }
    OTA_LOGI(TAG, "[2.1] Set upgrade list");
    struct ota_item items[2];
    unsigned n = 0;
    memset(items, 0, sizeof(items));
    if (cfg.have_data) {
        items[n].type = OTA_ITEM_DATA;
        items[n].label = cfg.data_label;
        items[n].uri = cfg.data_uri;
        items[n].cert_pem = data_ca_pem ? data_ca_pem : ca_pem;
        items[n].break_after_fail = brk;
        if (!no_tone) {
            tone_upgrade_ops(&items[n].ops);
        }
        n++;
    }
    if (cfg.have_app) {
        items[n].type = OTA_ITEM_APP;
        items[n].uri = cfg.firmware_uri;
        items[n].cert_pem = ca_pem;
        items[n].reboot_flag = !no_reboot;
        items[n].break_after_fail = brk;
        n++;
    }
    ota_service_set_upgrade_list(&svc, items, n);
    if (cfg.have_data) {
        const struct ota_partition *p = ota_pt_find_label(&svc.dev.table, cfg.data_label);
        if (p && !no_tone) {
            tone_log_partition(&hf.flash, p);
        }
    }
    OTA_LOGI(TAG, "[2.2] Start OTA service");
    bool reboot = false;
    ota_service_start(&svc, &reboot);
    free(ca_pem);
    free(data_ca_pem);
    OTA_LOGI("OTA_SERVICE", "received %llu bytes over %u streams", (unsigned long long)ht.bytes_received,
             ht.streams_opened);
    const struct ota_partition *app_slot = NULL;
    if (cfg.have_app) {
        const struct ota_partition *slots[16];
        ota_boot_ota_slots(&svc.dev.table, slots);
        app_slot = slots[1] ? slots[1] : slots[0];
    }
    log_wear(&hf.count, app_slot ? app_slot->size : 0);
    struct ota_host_mem_stats mem;
    ota_host_mem_stats(&mem);
    OTA_LOGI("MEM", "update path: service state %zu B (caller-owned, static), port heap peak %zu B; libcurl heap "
             "peak %zu B (TLS library not counted)", sizeof(struct ota_service), mem.port_peak, mem.curl_peak);
    if (hf.powered_off) {
        /* The emulated device lost power: nothing more runs until power returns. */
        cli_error("power cut (emulated) at flash operation %llu: the device is off", (unsigned long long)hf.cut_at);
        ota_host_flash_close(&hf);
        return 3;
    }

    ota_host_flash_close(&hf);
    if (reboot) {
        OTA_LOGW("OTA_SERVICE", "restart!");
        /* The device restarts: the bootloader runs on the same flash, then
         * the new app starts (and, on a trial boot, runs its self-test). */
        printf("\n");
        if (cli_power_on(pos[0], rollback, OTA_CHIP_ESP32, self_test)) {
            cli_error("%s: after the restart no app runs", pos[0]);
            return CLI_FAIL;
        }
    }
    if (st.failed) {
        cli_error("%u of %u upgrade items failed", st.failed, n);
        return CLI_FAIL;
    }
    return CLI_OK;
}

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
#include "ota/host_device.h"
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

/* The example's "OTA App Configuration" menu, with its defaults, and ours.
 * Strings are copies of any length: a presigned URL is easily 1-2 KB. */
struct example_config {
    char *wifi_ssid;
    char *wifi_password;
    char *firmware_uri;
    char *data_uri;
    char *data_label;
    bool force_version_check;
    bool forbid_plain_http;
    bool have_app, have_data;
    long low_speed_limit, low_speed_time_s, deadline_s;  /* 0: the transport's defaults */
    bool bad_value;
};

static void set_str(char **dst, const char *v, size_t n)
{
    char *copy = malloc(n + 1);
    if (!copy) {
        abort();  /* a few KiB at most: out of memory here is not recoverable */
    }
    memcpy(copy, v, n);
    copy[n] = '\0';
    free(*dst);
    *dst = copy;
}

static void config_free(struct example_config *c)
{
    free(c->wifi_ssid);
    free(c->wifi_password);
    free(c->firmware_uri);
    free(c->data_uri);
    free(c->data_label);
    memset(c, 0, sizeof(*c));
}

static const char *const known_keys[] = {
    "WIFI_SSID", "WIFI_PASSWORD", "FIRMWARE_UPGRADE_URI", "DATA_UPGRADE_URI", "DATA_PARTITION_LABEL",
    "FORCE_CHECK_FIRMWARE_VERSION_NUMBER", "OTA_FORBID_PLAIN_HTTP", "OTA_LOW_SPEED_LIMIT", "OTA_LOW_SPEED_TIME",
    "OTA_DEADLINE",
};

static long number_or_bad(struct example_config *c, const char *key, const char *value)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (!*value || *end || v <= 0) {
        OTA_LOGE(TAG, "CONFIG_%s=%s: a positive number is wanted", key, value);
        c->bad_value = true;
        return 0;
    }
    return v;
}

/* A key we do not know is warned about, with the known key it is most
 * likely a typo of: a misspelt URI key must not silently mean "nothing". */
static void warn_unknown(const char *key)
{
    bool unknown;
    const char *near = ota_sdkconfig_unknown(key, known_keys, sizeof(known_keys) / sizeof(known_keys[0]), &unknown);
    if (unknown && near) {
        OTA_LOGW(TAG, "unknown key CONFIG_%s ignored: did you mean CONFIG_%s?", key, near);
    } else if (unknown) {
        OTA_LOGW(TAG, "unknown key CONFIG_%s ignored", key);
    }
}

static int on_setting(void *ctx, const char *key, const char *value)
{
    struct example_config *c = ctx;
    if (strcmp(key, "WIFI_SSID") == 0) {
        set_str(&c->wifi_ssid, value, strlen(value));
    } else if (strcmp(key, "WIFI_PASSWORD") == 0) {
        set_str(&c->wifi_password, value, strlen(value));
    } else if (strcmp(key, "FIRMWARE_UPGRADE_URI") == 0) {
        set_str(&c->firmware_uri, value, strlen(value));
        c->have_app = value[0] != '\0';
    } else if (strcmp(key, "DATA_UPGRADE_URI") == 0) {
        set_str(&c->data_uri, value, strlen(value));
        c->have_data = value[0] != '\0';
    } else if (strcmp(key, "DATA_PARTITION_LABEL") == 0) {
        set_str(&c->data_label, value, strlen(value));
    } else if (strcmp(key, "FORCE_CHECK_FIRMWARE_VERSION_NUMBER") == 0) {
        c->force_version_check = strcmp(value, "y") == 0;
    } else if (strcmp(key, "OTA_FORBID_PLAIN_HTTP") == 0) {
        c->forbid_plain_http = strcmp(value, "y") == 0;  /* ours: refuse unauthenticated http:// */
    } else if (strcmp(key, "OTA_LOW_SPEED_LIMIT") == 0) {
        c->low_speed_limit = number_or_bad(c, key, value);
    } else if (strcmp(key, "OTA_LOW_SPEED_TIME") == 0) {
        c->low_speed_time_s = number_or_bad(c, key, value);
    } else if (strcmp(key, "OTA_DEADLINE") == 0) {
        c->deadline_s = number_or_bad(c, key, value);
    } else {
        warn_unknown(key);
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

struct run_args {
    const char *image, *config, *app, *data, *sdcard, *ca, *data_ca;
    const char *connect_s, *read_s, *cut_s, *retries_s, *backoff_s, *self_test;
    const char *low_speed_limit_s, *low_speed_time_s, *deadline_s;
    bool force, no_reboot, rollback, forbid_http, no_tone, brk;
};

/* The sdkconfig file, then the flags over it. */
static int load_config(const struct run_args *a, struct example_config *cfg)
{
    set_str(&cfg->wifi_ssid, "", 0);
    set_str(&cfg->data_label, "flash_tone", 10);
    if (a->config) {
        char *text = read_text(a->config);
        unsigned bad = 0;
        if (!text) {
            return CLI_FAIL;
        }
        int err = ota_sdkconfig_parse(text, strlen(text), on_setting, cfg, &bad);
        free(text);
        if (err == OTA_ERR_TOO_LONG) {
            cli_error("%s:%u: %s (keys at most %u, values at most %u characters)", a->config, bad,
                      ota_strerror(err), OTA_SDKCONFIG_KEY_MAX, OTA_SDKCONFIG_VALUE_MAX);
            return CLI_FAIL;
        }
        if (err || cfg->bad_value) {
            cli_error("%s:%u: %s", a->config, bad, ota_strerror(err ? err : OTA_ERR_CONFIG_SYNTAX));
            return CLI_FAIL;
        }
    }
    if (a->app) {
        set_str(&cfg->firmware_uri, a->app, strlen(a->app));
        cfg->have_app = true;
    }
    if (a->data) {
        const char *eq = strchr(a->data, '=');
        if (!eq || eq == a->data) {
            cli_error("--data wants LABEL=URI, not '%s'", a->data);
            return CLI_USAGE;
        }
        set_str(&cfg->data_label, a->data, (size_t)(eq - a->data));
        set_str(&cfg->data_uri, eq + 1, strlen(eq + 1));
        cfg->have_data = true;
    }
    if (cfg->have_data && strlen(cfg->data_label) > OTA_PT_LABEL_LEN) {
        cli_error("data partition label '%s' is %zu characters; a partition label has at most %u",
                  cfg->data_label, strlen(cfg->data_label), OTA_PT_LABEL_LEN);
        return CLI_USAGE;
    }
    cfg->force_version_check |= a->force;
    return CLI_OK;
}

/* The transfer limits: flags over the file over the transport's defaults. */
static bool limits(const struct run_args *a, const struct example_config *cfg, struct ota_host_transport_config *tc)
{
    tc->low_speed_limit = cfg->low_speed_limit;
    tc->low_speed_time_s = cfg->low_speed_time_s;
    tc->deadline_s = cfg->deadline_s;
    return parse_ms(a->connect_s, &tc->connect_timeout_ms) && parse_ms(a->read_s, &tc->read_timeout_ms) &&
           parse_ms(a->low_speed_limit_s, &tc->low_speed_limit) &&
           parse_ms(a->low_speed_time_s, &tc->low_speed_time_s) && parse_ms(a->deadline_s, &tc->deadline_s);
}

static int run(struct run_args *a, struct example_config *cfg);

struct run_plan {
    const struct run_args *a;
    const struct example_config *cfg;
    struct ota_host_flash *hf;
    const struct ota_host_transport_config *tc;
    const char *ca_pem, *data_ca_pem;
    bool rollback;
    uint16_t chip;
    long retries, backoff, cut_at;
};
static void log_peripherals(const struct run_args *a, const struct example_config *cfg);
static int serve(const struct run_plan *pl);

int cmd_run(int argc, char **argv)
{
    const char *pos[1];
    struct run_args a;
    int npos, rc;
    memset(&a, 0, sizeof(a));
    a.self_test = "pass";
    struct cli_opt opts[] = {{"config", &a.config, NULL}, {"app", &a.app, NULL}, {"data", &a.data, NULL},
                             {"sdcard", &a.sdcard, NULL}, {"ca", &a.ca, NULL}, {"data-ca", &a.data_ca, NULL},
                             {"force-version-check", NULL, &a.force},
                             {"no-reboot", NULL, &a.no_reboot}, {"rollback", NULL, &a.rollback},
                             {"forbid-http", NULL, &a.forbid_http}, {"no-tone-check", NULL, &a.no_tone},
                             {"break-after-fail", NULL, &a.brk},
                             {"connect-timeout", &a.connect_s, NULL}, {"read-timeout", &a.read_s, NULL},
                             {"low-speed-limit", &a.low_speed_limit_s, NULL},
                             {"low-speed-time", &a.low_speed_time_s, NULL}, {"deadline", &a.deadline_s, NULL},
                             {"retries", &a.retries_s, NULL}, {"retry-backoff", &a.backoff_s, NULL},
                             {"power-cut-at", &a.cut_s, NULL}, {"self-test", &a.self_test, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    a.image = pos[0];
    static struct example_config cfg;
    rc = load_config(&a, &cfg);
    if (!rc) {
        rc = run(&a, &cfg);
    }
    config_free(&cfg);
    return rc;
}

static int run(struct run_args *a, struct example_config *cfg)
{
    const char *self_test = a->self_test;
    if (strcmp(self_test, "pass") != 0 && strcmp(self_test, "fail") != 0 && strcmp(self_test, "skip") != 0) {
        cli_error("--self-test pass|fail|skip, not '%s'", self_test);
        return CLI_USAGE;
    }
    if (!cfg->have_app && !cfg->have_data) {
        cli_error("nothing to upgrade: give --app URI and/or --data LABEL=URI (or a --config file)");
        return CLI_USAGE;
    }
    struct ota_host_transport_config tc = {.sdcard_dir = a->sdcard,
                                           .forbid_plain_http = a->forbid_http || cfg->forbid_plain_http};
    long retries = -1, backoff = 0, cut_at = 0;
    if (!limits(a, cfg, &tc) || !parse_ms(a->backoff_s, &backoff) || !parse_ms(a->cut_s, &cut_at) ||
        (a->retries_s && (!parse_ms(a->retries_s, &retries) && strcmp(a->retries_s, "0") != 0))) {
        cli_error("timeouts, limits, --deadline, --retry-backoff and --power-cut-at are positive numbers; "
                  "--retries 0 or more");
        return CLI_USAGE;
    }
    if (a->retries_s && strcmp(a->retries_s, "0") == 0) {
        retries = 0;
    }
    /* The chip and a rollback-enabled bootloader belong to the device. */
    struct ota_device_props props;
    int rc = cli_device_props(a->image, NULL, a->rollback, &props);
    if (rc) {
        return rc;
    }
    bool rollback = props.rollback;
    /* Each item verifies its server with its own CA (the data item's
     * defaults to the app's); without one, the system store. */
    char *ca_pem = NULL, *data_ca_pem = NULL;
    if ((a->ca && !(ca_pem = read_text(a->ca))) || (a->data_ca && !(data_ca_pem = read_text(a->data_ca)))) {
        free(ca_pem);
        return CLI_FAIL;
    }

    static struct ota_host_flash hf;
    if ((rc = cli_open_device(a->image, &hf, NULL))) {
        free(ca_pem);
        free(data_ca_pem);
        return rc;
    }
    log_peripherals(a, cfg);
    struct run_plan plan = {a, cfg, &hf, &tc, ca_pem, data_ca_pem, rollback, props.chip, retries, backoff, cut_at};
    rc = serve(&plan);
    free(ca_pem);
    free(data_ca_pem);
    return rc;
}

/* Wi-Fi and the SD card cannot exist here: logged as the device logs them. */
static void log_peripherals(const struct run_args *a, const struct example_config *cfg)
{
    OTA_LOGI(TAG, "[1.0] Initialize peripherals management");
    OTA_LOGI(TAG, "[1.1] Start and wait for Wi-Fi network");
    if (cfg->wifi_ssid[0]) {
        OTA_LOGI("PERIPH_WIFI", "connected to '%s' (emulated: the host's network is the link)", cfg->wifi_ssid);
    } else {
        OTA_LOGI("PERIPH_WIFI", "no SSID configured (emulated: the host's network is the link)");
    }
    OTA_LOGI(TAG, "[1.2] Mount SDCard");
    if (a->sdcard) {
        OTA_LOGI("SDCARD", "base path=/sdcard (the folder %s)", a->sdcard);
    } else {
        OTA_LOGW("SDCARD", "no SD card (give --sdcard DIR for file:// items)");
    }
}

/* The example's list: the data item first, then the app item with reboot. */
static unsigned upgrade_list(const struct run_plan *pl, struct ota_item items[2])
{
    const struct example_config *cfg = pl->cfg;
    const struct run_args *a = pl->a;
    const char *ca_pem = pl->ca_pem, *data_ca_pem = pl->data_ca_pem;
    unsigned n = 0;
    memset(items, 0, 2 * sizeof(items[0]));
    if (cfg->have_data) {
        items[n].type = OTA_ITEM_DATA;
        items[n].label = cfg->data_label;
        items[n].uri = cfg->data_uri;
        items[n].cert_pem = data_ca_pem ? data_ca_pem : ca_pem;
        items[n].break_after_fail = a->brk;
        if (!a->no_tone) {
            tone_upgrade_ops(&items[n].ops);
        }
        n++;
    }
    if (cfg->have_app) {
        items[n].type = OTA_ITEM_APP;
        items[n].uri = cfg->firmware_uri;
        items[n].cert_pem = ca_pem;
        items[n].reboot_flag = !a->no_reboot;
        items[n].break_after_fail = a->brk;
        n++;
    }
    return n;
}

/* The service's settings from the plan (eFuses aside). */
static void service_config(const struct run_plan *pl, struct ota_host_transport *ht, struct run_state *st,
                           struct ota_service_config *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->flash = &pl->hf->flash;
    sc->transport = &ht->transport;
    sc->on_event = on_event;
    sc->on_progress = on_progress;
    sc->cb_ctx = st;
    sc->force_version_check = pl->cfg->force_version_check;
    sc->rollback = pl->rollback;
    sc->allow_plain_http = !pl->tc->forbid_plain_http;
    sc->chip_id = pl->chip;
    sc->chip_rev = 300;
    sc->no_retry = pl->retries == 0;
    sc->max_retries = pl->retries > 0 ? (unsigned)pl->retries : 0;
    sc->retry_backoff_ms = (unsigned)pl->backoff;
    sc->sleep_ms = sleep_ms;
}

/* The service over the open device: configure, list, start, restart. */
static int serve(const struct run_plan *pl)
{
    const struct run_args *a = pl->a;
    const struct example_config *cfg = pl->cfg;
    struct ota_host_flash *hfp = pl->hf;
    const char *pos[1] = {a->image};
    bool rollback = pl->rollback;
    /* Emulation of a power loss at the N-th flash program/erase. */
    hfp->cut_at = (uint64_t)pl->cut_at;
    hfp->cut_mode = OTA_CUT_TORN;
    hfp->cut_seed = (uint32_t)pl->cut_at;
    static struct ota_host_transport ht;
    ota_host_transport_global_init();
    ota_host_transport_init(&ht, pl->tc);

    struct run_state st = {isatty(STDOUT_FILENO) != 0, 0, -1};
    struct ota_service_config sc;
    service_config(pl, &ht, &st, &sc);

    static struct ota_efuse efuse;
    int err = ota_host_efuse_load(pos[0], &efuse);
    if (err) {
        cli_error("%s.efuse: %s", pos[0], ota_strerror(err));
        ota_host_flash_close(hfp);
        return CLI_FAIL;
    }
    sc.trusted_key_digest = efuse.key_burned ? efuse.key_digest : NULL;
    sc.secure_version = efuse.secure_version;
    struct ota_boot_opts bo = {rollback, pl->chip, 300, sc.trusted_key_digest, sc.secure_version, true};
    if (cli_running_app(a->image, &hfp->flash, &bo, &sc.running_app_offset)) {
        ota_host_flash_close(hfp);
        return CLI_FAIL;
    }
    if (efuse.key_burned) {
        OTA_LOGI("secure_boot_v2", "enabled: apps must be signed by the key whose digest is in eFuse");
    }
    OTA_LOGI(TAG, "[2.0] Create OTA service");
    static struct ota_service svc;
    err = ota_service_init(&svc, &sc);
    if (err) {
        cli_error("%s: cannot start the service: %s", pos[0], ota_strerror(err));
        ota_host_flash_close(hfp);
        return CLI_FAIL;
    }
    OTA_LOGI(TAG, "[2.1] Set upgrade list");
    struct ota_item items[2];
    unsigned n = upgrade_list(pl, items);
    ota_service_set_upgrade_list(&svc, items, n);
    if (cfg->have_data) {
        const struct ota_partition *p = ota_pt_find_label(&svc.dev.table, cfg->data_label);
        if (p && !a->no_tone) {
            tone_log_partition(&hfp->flash, p);
        }
    }
    OTA_LOGI(TAG, "[2.2] Start OTA service");
    bool reboot = false;
    ota_service_start(&svc, &reboot);
    OTA_LOGI("OTA_SERVICE", "received %llu bytes over %u streams", (unsigned long long)ht.bytes_received,
             ht.streams_opened);
    const struct ota_partition *app_slot = NULL;
    if (cfg->have_app) {
        const struct ota_partition *slots[16];
        ota_boot_ota_slots(&svc.dev.table, slots);
        app_slot = slots[1] ? slots[1] : slots[0];
    }
    log_wear(&hfp->count, app_slot ? app_slot->size : 0);
    struct ota_host_mem_stats mem;
    ota_host_mem_stats(&mem);
    OTA_LOGI("MEM", "update path: service state %zu B (caller-owned, static), port heap peak %zu B; libcurl heap "
             "peak %zu B (TLS library not counted)", sizeof(struct ota_service), mem.port_peak, mem.curl_peak);
    if (hfp->powered_off) {
        /* The emulated device lost power: nothing more runs until power returns. */
        cli_error("power cut (emulated) at flash operation %llu: the device is off", (unsigned long long)hfp->cut_at);
        ota_host_flash_close(hfp);
        return 3;
    }

    ota_host_flash_close(hfp);
    if (reboot) {
        OTA_LOGW("OTA_SERVICE", "restart!");
        /* The device restarts: the bootloader runs on the same flash, then
         * the new app starts (and, on a trial boot, runs its self-test). */
        printf("\n");
        if (cli_power_on(pos[0], rollback, pl->chip, a->self_test)) {
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

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
#include "ota/host_decrypt.h"
#include "ota/host_device.h"
#include "ota/host_efuse.h"
#include "ota/host_log.h"
#include "ota/host_transport.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "ota/sdkconfig.h"
#include "ota/service.h"
#include "../../examples/ota_example/tone_upgrade.h"
#include "cli.h"
#include "commands.h"
#include "run_ddi.h"
#include "run_release.h"
#include "run_report.h"
#include "run_summary.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

/* The example's "OTA App Configuration" menu, with its defaults, and ours.
 * Strings are copies of any length: a presigned URL is easily 1-2 KB. */
struct example_config {
    char *wifi_ssid;
    char *wifi_password;
    char *firmware_uri;
    char *fallback_uri;      /* ours: the full image when the firmware URI is a patch for another app */
    char *data_uri;
    char *data_label;
    char *release_project;   /* ours: the device's product for releases (an app without one needs it) */
    char *manifest_sig_uri;  /* ours: the manifest's signature, when not at its URI + ".sig" */
    char *decrypt_key;       /* ours: the device's key for encrypted images (a PEM or an HMAC key file) */
    bool force_version_check;
    bool forbid_plain_http;
    bool have_app, have_data;
    long low_speed_limit, low_speed_time_s, deadline_s;  /* 0: the transport's defaults */
    char *bad_key, *bad_val;  /* the setting whose value its key cannot take (parsing stops there) */
    const char *wanted;       /* what that key takes */
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
    free(c->fallback_uri);
    free(c->data_uri);
    free(c->data_label);
    free(c->release_project);
    free(c->manifest_sig_uri);
    free(c->decrypt_key);
    free(c->bad_key);
    free(c->bad_val);
    memset(c, 0, sizeof(*c));
}

static const char *const known_keys[] = {
    "WIFI_SSID", "WIFI_PASSWORD", "FIRMWARE_UPGRADE_URI", "DATA_UPGRADE_URI", "DATA_PARTITION_LABEL",
    "FORCE_CHECK_FIRMWARE_VERSION_NUMBER", "OTA_FORBID_PLAIN_HTTP", "OTA_LOW_SPEED_LIMIT", "OTA_LOW_SPEED_TIME",
    "OTA_DEADLINE", "FIRMWARE_FALLBACK_URI", "OTA_RELEASE_PROJECT", "OTA_MANIFEST_SIG_URI",
    "OTA_DECRYPT_KEY",
};

/* Kept for the message; the non-zero return stops the parse at its line. */
static int refuse_value(struct example_config *c, const char *key, const char *value, const char *wanted)
{
    set_str(&c->bad_key, key, strlen(key));
    set_str(&c->bad_val, value, strlen(value));
    c->wanted = wanted;
    return OTA_ERR_CONFIG_SYNTAX;
}

static int number_or_bad(struct example_config *c, const char *key, const char *value, long *out)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (!*value || *end || v <= 0) {
        return refuse_value(c, key, value, "a positive whole number");
    }
    *out = v;
    return 0;
}

/* A typo such as "yes" or "1" must not silently turn a check off. */
static int bool_or_bad(struct example_config *c, const char *key, const char *value, bool *out)
{
    return ota_sdkconfig_bool(value, out) ? refuse_value(c, key, value, "y or n (\"# CONFIG_X is not set\" is n)")
                                          : 0;
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
    } else if (strcmp(key, "FIRMWARE_FALLBACK_URI") == 0) {
        set_str(&c->fallback_uri, value, strlen(value));  /* ours: used when the app URI is an unfit patch */
    } else if (strcmp(key, "DATA_UPGRADE_URI") == 0) {
        set_str(&c->data_uri, value, strlen(value));
        c->have_data = value[0] != '\0';
    } else if (strcmp(key, "OTA_RELEASE_PROJECT") == 0) {
        set_str(&c->release_project, value, strlen(value));  /* "" (the Kconfig default): the app's own */
    } else if (strcmp(key, "OTA_MANIFEST_SIG_URI") == 0) {
        set_str(&c->manifest_sig_uri, value, strlen(value));
    } else if (strcmp(key, "OTA_DECRYPT_KEY") == 0) {
        set_str(&c->decrypt_key, value, strlen(value));  /* "": none */
    } else if (strcmp(key, "DATA_PARTITION_LABEL") == 0) {
        set_str(&c->data_label, value, strlen(value));
    } else if (strcmp(key, "FORCE_CHECK_FIRMWARE_VERSION_NUMBER") == 0) {
        return bool_or_bad(c, key, value, &c->force_version_check);
    } else if (strcmp(key, "OTA_FORBID_PLAIN_HTTP") == 0) {
        return bool_or_bad(c, key, value, &c->forbid_plain_http);  /* ours: refuse unauthenticated http:// */
    } else if (strcmp(key, "OTA_LOW_SPEED_LIMIT") == 0) {
        return number_or_bad(c, key, value, &c->low_speed_limit);
    } else if (strcmp(key, "OTA_LOW_SPEED_TIME") == 0) {
        return number_or_bad(c, key, value, &c->low_speed_time_s);
    } else if (strcmp(key, "OTA_DEADLINE") == 0) {
        return number_or_bad(c, key, value, &c->deadline_s);
    } else {
        warn_unknown(key);
    }
    return 0;
}

static void sleep_ms(void *ctx, unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    (void)ctx;
    nanosleep(&ts, NULL);
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

/* The command line of `ota run`. */
struct run_args {
    const char *image, *config, *app, *app_fallback, *data, *sdcard, *ca, *data_ca;
    const char *connect_s, *read_s, *cut_s, *retries_s, *backoff_s, *self_test;
    const char *low_speed_limit_s, *low_speed_time_s, *deadline_s, *speed_limit_s;
    const char *manifest, *manifest_pub, *manifest_sig, *device_id, *project, *chip_rev, *decrypt_key;
    bool force, no_reboot, rollback, forbid_http, no_tone, brk, json, defer_activation;
    struct run_ddi_args ddi;
};

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
    const char *pos[1];
    int npos, rc;
    memset(a, 0, sizeof(*a));
    a->self_test = "pass";
    struct cli_opt opts[] = {
        CLI_VALUE_D("config", &a->config, "SDKCONFIG", "the example's menuconfig settings (CONFIG_... keys)", "none"),
        CLI_VALUE_D("app", &a->app, "URI",
                    "the app item, a full image or a delta patch for the running app: http://, https:// or "
                    "file:// (overrides the config)", "none"),
        CLI_VALUE_D("app-fallback", &a->app_fallback, "URI",
                    "the full image to take when the app URI is a delta patch made for another running app, "
                    "or has nothing there (HTTP error status, no such file)",
                    "none, or CONFIG_FIRMWARE_FALLBACK_URI"),
        CLI_VALUE_D("data", &a->data, "LABEL=URI", "the data item: partition LABEL from URI (overrides the config)",
                    "none"),
        CLI_VALUE_D("sdcard", &a->sdcard, "DIR", "the folder that plays the SD card (file:// items)", "none: file:// refused"),
        CLI_VALUE_D("ca", &a->ca, "PEM", "CA certificate(s) for https:// items", "the system store"),
        CLI_VALUE_D("data-ca", &a->data_ca, "PEM", "CA for the data item's server", "--ca"),
        CLI_FLAG("force-version-check", &a->force, "refuse an app whose version is not higher than the running one"),
        CLI_FLAG("no-reboot", &a->no_reboot, "do not restart after the app item"),
        CLI_FLAG("defer-activation", &a->defer_activation,
                 "play an app that says \"not now\" before the switch: the new app is downloaded and verified "
                 "in its slot, not selected"),
        CLI_FLAG("rollback", &a->rollback, "app rollback: the new app boots on trial and runs its self-test"),
        CLI_VALUE_D("chip-revision", &a->chip_rev, "vX.Y", "the chip's revision; recorded with the device the first time",
                    "the recorded revision, else the one the chip is sold as"),
        CLI_FLAG("break-after-fail", &a->brk, "stop the list at the first failed item"),
        CLI_FLAG("forbid-http", &a->forbid_http, "refuse plain http:// (unauthenticated)"),
        CLI_FLAG("no-tone-check", &a->no_tone, "write the data item as raw bytes, without the tone-image checks"),
        CLI_NUMBER("connect-timeout", &a->connect_s, CLI_MILLIS, "MS", "give up connecting after MS", "5000"),
        CLI_NUMBER("read-timeout", &a->read_s, CLI_MILLIS, "MS", "fail a transfer that receives no byte for MS",
                   "10000"),
        CLI_NUMBER("low-speed-limit", &a->low_speed_limit_s, CLI_BYTES, "BYTES",
                   "fail a transfer that receives fewer than BYTES in any --low-speed-time window (a trickle)",
                   "1024, or CONFIG_OTA_LOW_SPEED_LIMIT"),
        CLI_NUMBER("low-speed-time", &a->low_speed_time_s, CLI_SECONDS, "S", "the low-speed window",
                   "20, or CONFIG_OTA_LOW_SPEED_TIME"),
        CLI_NUMBER("deadline", &a->deadline_s, CLI_SECONDS, "S",
                   "give up an item after S in all, reconnections included", "900, or CONFIG_OTA_DEADLINE"),
        CLI_NUMBER("retries", &a->retries_s, CLI_COUNT, "N", "reconnections (Range + If-Range) after a dropped transfer",
                   "4"),
        CLI_NUMBER("retry-backoff", &a->backoff_s, CLI_MILLIS, "MS", "first wait before reconnecting, doubled each time",
                   "250"),
        CLI_NUMBER("power-cut-at", &a->cut_s, CLI_POSITIVE, "N",
                   "emulated power loss at the N-th flash program/erase (exit 3)", "none"),
        /* curl's names, with curl's units */
        CLI_NUMBER("max-time", &a->deadline_s, CLI_SECONDS, "S", "curl's name for --deadline", "900"),
        CLI_NUMBER("retry", &a->retries_s, CLI_COUNT, "N", "curl's name for --retries", "4"),
        CLI_NUMBER("retry-delay", &a->backoff_s, CLI_SECONDS_MS, "S",
                   "curl's name for --retry-backoff, in seconds (the wait still doubles each time)", "0.25"),
        CLI_VALUE_D("cacert", &a->ca, "FILE", "curl's name for --ca", "the system store"),
        CLI_NUMBER("speed-limit", &a->speed_limit_s, CLI_BYTES, "B",
                   "curl's: fail a transfer slower than B bytes per second over --speed-time", "none"),
        CLI_NUMBER("speed-time", &a->low_speed_time_s, CLI_SECONDS, "S", "curl's name for --low-speed-time", "20"),
        CLI_VALUE("self-test", &a->self_test, "pass|fail|skip", "what the new app's self-test does on a trial boot"),
        CLI_VALUE_D("manifest", &a->manifest, "URI",
                    "the app from a signed release manifest (instead of --app): a patch for the running app, "
                    "else the full image", "none"),
        CLI_VALUE_D("manifest-pub", &a->manifest_pub, "PUB.pem", "the public key that signs releases (required "
                    "with --manifest)", "none"),
        CLI_VALUE_D("manifest-sig", &a->manifest_sig, "URI",
                    "where the manifest's signature is (a presigned URL of its own)",
                    "the manifest's URI with .sig before its ?query, or CONFIG_OTA_MANIFEST_SIG_URI"),
        CLI_VALUE_D("device-id", &a->device_id, "ID", "this device's id for the staged rollout",
                    "the device image's file name"),
        CLI_VALUE_D("project", &a->project, "P",
                    "the product a release must be for (needed when the app has no project name)",
                    "CONFIG_OTA_RELEASE_PROJECT, else the running app's project"),
        RUN_DDI_OPTIONS(&a->ddi),
        CLI_VALUE_D("decrypt-key", &a->decrypt_key, "FILE",
                    "the device's key for encrypted app images: a PEM private key (RSA-3072 or P-256) or the "
                    "32-byte HMAC key the P-256 key is derived from", "none, or CONFIG_OTA_DECRYPT_KEY"),
        CLI_JSON(&a->json),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    a->image = pos[0];
    return cli_parse_self_test(a->self_test) && run_ddi_args_ok(&a->ddi, a->app || a->data)
               ? CLI_OK : CLI_USAGE;
}

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
        if (cfg->bad_key) {
            cli_error("%s:%u: CONFIG_%s=%s: CONFIG_%s takes %s", a->config, bad, cfg->bad_key, cfg->bad_val,
                      cfg->bad_key, cfg->wanted);
            return CLI_USAGE;
        }
        if (err == OTA_ERR_TOO_LONG) {
            cli_error("%s:%u: %s (keys at most %u, values at most %u characters)", a->config, bad,
                      ota_strerror(err), OTA_SDKCONFIG_KEY_MAX, OTA_SDKCONFIG_VALUE_MAX);
            return CLI_FAIL;
        }
        if (err) {
            cli_error("%s:%u: %s", a->config, bad, ota_strerror(err));
            return CLI_FAIL;
        }
    }
    if (a->app) {
        set_str(&cfg->firmware_uri, a->app, strlen(a->app));
        cfg->have_app = true;
    }
    if (a->decrypt_key) {
        set_str(&cfg->decrypt_key, a->decrypt_key, strlen(a->decrypt_key));
    }
    if (a->app_fallback) {
        set_str(&cfg->fallback_uri, a->app_fallback, strlen(a->app_fallback));
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
    if (a->manifest && (a->app || a->app_fallback)) {
        cli_error("--manifest and --app%s both name the app: give one", a->app ? "" : "-fallback");
        return CLI_USAGE;
    }
    if (a->manifest_sig && !a->manifest) {
        cli_error("--manifest-sig names a release manifest's signature: give --manifest URI too");
        return CLI_USAGE;
    }
    if (a->manifest) {
        /* the release item takes the app item's place in the list */
        set_str(&cfg->firmware_uri, a->manifest, strlen(a->manifest));
        cfg->have_app = true;
    }
    if (!cfg->have_app && !cfg->have_data && !a->ddi.url) {
        cli_error("nothing to upgrade: give --app URI, --manifest URI and/or --data LABEL=URI (or a --config file)");
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* Timeouts, transfer limits (flags over the file over the transport's
 * defaults), retries and the power-cut point: numbers or a usage error. */
static int parse_numbers(const struct run_args *a, const struct example_config *cfg,
                         struct ota_host_transport_config *tc, struct ota_service_config *sc, long *cut_at)
{
    long retries = -1, backoff = 0;
    bool zero_retries = a->retries_s && strcmp(a->retries_s, "0") == 0;
    tc->low_speed_limit = cfg->low_speed_limit;
    tc->low_speed_time_s = cfg->low_speed_time_s;
    tc->deadline_s = cfg->deadline_s;
    if (!parse_ms(a->connect_s, &tc->connect_timeout_ms) || !parse_ms(a->read_s, &tc->read_timeout_ms) ||
        !parse_ms(a->low_speed_limit_s, &tc->low_speed_limit) ||
        !parse_ms(a->low_speed_time_s, &tc->low_speed_time_s) || !parse_ms(a->deadline_s, &tc->deadline_s) ||
        !parse_ms(a->backoff_s, &backoff) || !parse_ms(a->cut_s, cut_at) ||
        (a->retries_s && !zero_retries && !parse_ms(a->retries_s, &retries))) {
        cli_error("timeouts, limits, --deadline, --retry-backoff and --power-cut-at are positive numbers; "
                  "--retries 0 or more");
        return CLI_USAGE;
    }
    if (a->speed_limit_s) {  /* curl's bytes per second, as bytes per window */
        tc->low_speed_limit = atol(a->speed_limit_s) * (tc->low_speed_time_s ? tc->low_speed_time_s : 20);
    }
    sc->no_retry = zero_retries;
    sc->max_retries = retries > 0 ? (unsigned)retries : 0;
    sc->retry_backoff_ms = (unsigned)backoff;
    return CLI_OK;
}

static bool is_file_uri(const char *uri)
{
    return uri && strncmp(uri, "file://", 7) == 0;
}

/* An item reads the SD card: only then is its absence worth a warning. */
static bool uses_card(const struct example_config *cfg)
{
    return is_file_uri(cfg->firmware_uri) || is_file_uri(cfg->data_uri) || is_file_uri(cfg->fallback_uri);
}

/* The example's first steps, as the device logs them. */
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
    } else if (cli_verbosity > 0 || uses_card(cfg)) {
        OTA_LOGW("SDCARD", "no SD card (give --sdcard DIR for file:// items)");
    }
}

/* Everything one run holds: caller-owned (static) state of the service. */
struct run {
    struct run_args a;
    struct example_config cfg;
    struct ota_host_flash hf;
    struct ota_host_transport ht;
    struct ota_service_config sc;
    struct ota_efuse efuse;
    struct ota_device_props props;  /* chip and rollback, kept with the device */
    struct ota_service svc;
    struct ota_item_patch patch_work;  /* app items may be delta patches */
    struct ota_crypto_key *decrypt_key;  /* app images may be encrypted */
    uint8_t decrypt_work[OTA_CHUNKED_WORK_LEN];  /* and in our chunked format */
    struct ota_item items[RUN_MAX_ITEMS];
    unsigned n;
    char *ca_pem, *data_ca_pem;
    struct run_release release;  /* the app item when it follows a release manifest */
    struct run_report rep;
    struct run_ddi ddi;  /* --ddi: the server names the items */
};

/* The upgrade list: the data item first, then the app item (the example's
 * order); the app item follows a release manifest with --manifest. */
static int build_items(struct run *r)
{
    memset(r->items, 0, sizeof(r->items));
    r->n = 0;
    if (r->cfg.have_data) {
        struct ota_item *it = &r->items[r->n++];
        it->type = OTA_ITEM_DATA;
        it->label = r->cfg.data_label;
        it->uri = r->cfg.data_uri;
        it->cert_pem = r->data_ca_pem ? r->data_ca_pem : r->ca_pem;
        it->break_after_fail = r->a.brk;
        if (!r->a.no_tone) {
            tone_upgrade_ops(&it->ops);
        }
    }
    if (r->a.manifest) {
        const char *cfg_project = r->cfg.release_project && r->cfg.release_project[0] ? r->cfg.release_project : NULL;
        const char *cfg_sig = r->cfg.manifest_sig_uri && r->cfg.manifest_sig_uri[0] ? r->cfg.manifest_sig_uri : NULL;
        struct run_release_args ra = {r->a.image, r->a.manifest, r->a.manifest_sig ? r->a.manifest_sig : cfg_sig,
                                      r->a.manifest_pub, r->a.device_id, r->a.project ? r->a.project : cfg_project,
                                      r->ca_pem};
        int rc = run_release_setup(&r->release, &ra);
        if (rc) {
            return rc;
        }
        struct ota_item *it = &r->items[r->n++];
        *it = r->release.item;
        it->reboot_flag = !r->a.no_reboot;
        it->break_after_fail = r->a.brk;
        r->rep.release = &r->release.rel;
    } else if (r->cfg.have_app) {
        struct ota_item *it = &r->items[r->n++];
        it->type = OTA_ITEM_APP;
        it->uri = r->cfg.firmware_uri;
        it->fallback_uri = r->cfg.fallback_uri && r->cfg.fallback_uri[0] ? r->cfg.fallback_uri : NULL;
        it->cert_pem = r->ca_pem;
        it->reboot_flag = !r->a.no_reboot;
        it->break_after_fail = r->a.brk;
    }
    return CLI_OK;
}

/* --defer-activation: the app's answer before every switch. */
static bool not_now(void *ctx, unsigned id)
{
    (void)ctx;
    OTA_LOGW(TAG, "item %u: the app defers the activation (--defer-activation)", id);
    return false;
}

static void fill_service_config(struct run *r)
{
    struct ota_service_config *sc = &r->sc;
    sc->flash = &r->hf.flash;
    sc->transport = &r->ht.transport;
    sc->on_event = run_on_event;
    sc->on_progress = run_on_progress;
    sc->cb_ctx = &r->rep;
    sc->force_version_check = r->cfg.force_version_check;
    sc->rollback = r->props.rollback;
    sc->allow_plain_http = !(r->a.forbid_http || r->cfg.forbid_plain_http);
    sc->chip_id = r->props.chip;
    sc->chip_rev = ota_host_props_chip_rev(&r->props);
    sc->sleep_ms = sleep_ms;
    sc->trusted_key_digest = r->efuse.key_burned ? r->efuse.key_digest : NULL;
    sc->secure_version = r->efuse.secure_version;
    sc->patch_work = &r->patch_work;
    sc->decrypt_key = r->decrypt_key;
    sc->decrypt_work = r->decrypt_work;
    sc->may_activate = r->a.defer_activation ? not_now : NULL;
}

/* The device's decryption key, when the config or --decrypt-key names one. */
static int load_decrypt_key(struct run *r)
{
    const char *path = r->cfg.decrypt_key;
    if (!path || !path[0]) {
        return CLI_OK;
    }
    int err = ota_host_decrypt_key_load(path, &r->decrypt_key);
    if (err) {
        cli_error("%s: %s", path, ota_strerror(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Open the device, its eFuses, the transport and the service. */
static int start_service(struct run *r)
{
    struct ota_host_transport_config tc = {.sdcard_dir = r->a.sdcard,
                                           .forbid_plain_http = r->a.forbid_http || r->cfg.forbid_plain_http};
    long cut_at = 0;
    memset(&r->sc, 0, sizeof(r->sc));
    int rc = parse_numbers(&r->a, &r->cfg, &tc, &r->sc, &cut_at);
    if (!rc) {
        rc = load_decrypt_key(r);
    }
    /* The chip and a rollback-enabled bootloader belong to the device. */
    if (rc || (rc = cli_device_props(r->a.image, NULL, r->a.rollback, &r->props)) ||
        (rc = cli_device_chip_rev(r->a.image, r->a.chip_rev, &r->props)) ||
        (rc = cli_open_device(r->a.image, &r->hf, NULL))) {
        return rc;
    }
    /* What runs: the record's app while the flash holds it, else the device
     * powers on first, as a board does after being flashed. */
    if (cli_running_app(r->a.image, &r->hf.flash, &r->props, r->a.self_test, &r->sc.running_app_offset)) {
        ota_host_flash_close(&r->hf);
        return CLI_FAIL;
    }
    memset(&r->hf.count, 0, sizeof(r->hf.count));  /* the run's own flash work is counted and cut */
    log_peripherals(&r->a, &r->cfg);
    /* Emulation of a power loss at the N-th flash program/erase. */
    r->hf.cut_at = (uint64_t)cut_at;
    r->hf.cut_mode = OTA_CUT_TORN;
    r->hf.cut_seed = (uint32_t)cut_at;
    ota_host_transport_global_init();
    ota_host_transport_init(&r->ht, &tc);
    int err = ota_host_efuse_load(r->a.image, &r->efuse);
    if (err) {
        cli_error("%s.efuse: %s", r->a.image, ota_strerror(err));
        ota_host_flash_close(&r->hf);
        return CLI_FAIL;
    }
    if (r->efuse.key_burned) {
        OTA_LOGI("secure_boot_v2", "enabled: apps must be signed by the key whose digest is in eFuse");
    }
    fill_service_config(r);
    OTA_LOGI(TAG, "[2.0] Create OTA service");
    err = ota_service_init(&r->svc, &r->sc);
    if (err) {
        cli_error("%s: cannot start the service: %s", r->a.image, ota_strerror(err));
        ota_host_flash_close(&r->hf);
        return cli_exit_for_err(err);
    }
    return CLI_OK;
}

/* The list runs; then the counters are logged and the flash is closed. */
static int run_list(struct run *r)
{
    OTA_LOGI(TAG, "[2.1] Set upgrade list");
    int rc = build_items(r);
    if (rc) {
        ota_host_flash_close(&r->hf);
        return rc;
    }
    ota_service_set_upgrade_list(&r->svc, r->items, r->n);
    r->rep.svc = &r->svc;
    r->rep.ht = &r->ht;
    r->rep.items = r->items;
    r->rep.count = r->n;
    if (r->cfg.have_data && !r->a.no_tone) {
        const struct ota_partition *p = ota_pt_find_label(&r->svc.dev.table, r->cfg.data_label);
        if (p) {
            tone_log_partition(&r->hf.flash, p);
        }
    }
    OTA_LOGI(TAG, "[2.2] Start OTA service");
    ota_host_log_before_line(run_end_progress_line, &r->rep);
    if (r->a.ddi.url) {
        run_ddi_poll(&r->ddi, &r->a.ddi, r->a.image, r->ca_pem, &r->ht, &r->svc, &r->rep);
        r->rep.reboot = r->ddi.res.reboot && !r->a.no_reboot;
    }
    if (!r->a.ddi.url || (r->a.manifest && run_ddi_manifest_turn(&r->ddi))) {
        ota_service_set_upgrade_list(&r->svc, r->items, r->n);  /* the DDI server first, then the manifest */
        r->rep.items = r->items;
        r->rep.count = r->n;
        ota_service_start(&r->svc, &r->rep.reboot);
    }
    run_end_progress_line(&r->rep);
    const struct ota_partition *app_slot = NULL;
    if (r->cfg.have_app) {
        const struct ota_partition *slots[16];
        ota_boot_ota_slots(&r->svc.dev.table, slots);
        app_slot = slots[1] ? slots[1] : slots[0];
    }
    run_log_totals(&r->rep, &r->hf.count, app_slot ? app_slot->size : 0);
    r->rep.power_cut = r->hf.powered_off;
    ota_host_flash_close(&r->hf);
    if (r->a.manifest) {
        run_release_report(&r->release);
    }
    return CLI_OK;
}

/* After the list: power cut, restart, the verdict. */
static int finish(struct run *r)
{
    if (r->rep.power_cut) {
        /* The emulated device lost power: nothing more runs until power returns. */
        cli_error("power cut (emulated) at flash operation %llu: the device is off", (unsigned long long)r->hf.cut_at);
    } else if (r->rep.reboot) {
        OTA_LOGW("OTA_SERVICE", "restart!");
        /* The device restarts: the bootloader runs on the same flash, then
         * the new app starts (and, on a trial boot, runs its self-test). */
        r->rep.boot.print = !r->a.json;
        r->rep.restarted = cli_power_on(r->a.image, &r->props, r->a.self_test, &r->rep.boot) == CLI_OK;
        if (!r->rep.restarted) {
            cli_error("%s: after the restart no app runs", r->a.image);
        }
        run_ddi_after_restart(&r->ddi, r->a.image, r->rep.restarted, &r->rep.boot);
    }
    int status = run_exit_status(&r->rep);
    if (r->a.manifest && r->rep.restarted) {
        status = run_release_after_restart(&r->release, &r->rep.boot, status);
    }
    status = run_ddi_status(&r->ddi, status);
    unsigned failed = 0;
    for (unsigned i = 0; i < r->n; i++) {
        failed += r->rep.item[i].err != OTA_OK || !r->rep.item[i].done;
    }
    run_summary_restart(&r->rep);
    if (failed && !r->rep.power_cut) {
        run_summary_failures(&r->rep, status == CLI_UP_TO_DATE);
    }
    if (r->a.json) {
        run_report_json(&r->rep, r->a.image, &r->hf.count, status);
    }
    return status;
}

int cmd_run(int argc, char **argv)
{
    static struct run r;
    memset(&r, 0, sizeof(r));
    int rc = parse_run_args(argc, argv, &r.a);
    if (rc || (rc = load_config(&r.a, &r.cfg))) {
        config_free(&r.cfg);
        return rc;
    }
    run_report_init(&r.rep, isatty(STDERR_FILENO) && cli_verbosity >= 0);
    ota_host_log_keep_first_error(r.rep.first_error, sizeof(r.rep.first_error));
    if (cli_verbosity <= 0) {
        run_summary_begin(&r.rep, cli_verbosity == 0 && !r.a.json);
    }
    /* Each item verifies its server with its own CA (the data item's
     * defaults to the app's); without one, the system store. */
    if ((r.a.ca && !(r.ca_pem = read_text(r.a.ca))) || (r.a.data_ca && !(r.data_ca_pem = read_text(r.a.data_ca)))) {
        free(r.ca_pem);
        config_free(&r.cfg);
        return CLI_FAIL;
    }
    rc = start_service(&r);
    if (!rc && !(rc = run_list(&r))) {
        rc = finish(&r);
    }
    ota_host_log_before_line(NULL, NULL);
    ota_host_log_keep_first_error(NULL, 0);
    run_summary_end();
    free(r.ca_pem);
    free(r.data_ca_pem);
    ota_host_decrypt_key_free(r.decrypt_key);
    config_free(&r.cfg);
    return rc;
}

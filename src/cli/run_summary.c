/* `ota run`'s few lines by default; see run_summary.h. */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_log.h"
#include "run_summary.h"

static bool summary_lines;

/* The device's own log: the seed example's steps and result lines, the
 * service's status lines, the app writer's. */
static bool keep_line(enum ota_log_level level, const char *tag)
{
    static const char *const device_tags[] = {"HTTPS_OTA_EXAMPLE", "esp_https_ota", "OTA_SERVICE", "PERIPH_WIFI"};
    for (size_t i = 0; i < sizeof(device_tags) / sizeof(device_tags[0]); i++) {
        if (strcmp(tag, device_tags[i]) == 0) {
            return false;
        }
    }
    return level <= OTA_LOG_WARN;
}

void run_summary_begin(struct run_report *r, bool lines)
{
    summary_lines = lines;
    r->summary = lines;
    ota_host_log_filter(keep_line);
}

void run_summary_end(void)
{
    ota_host_log_filter(NULL);
    summary_lines = false;
}

void run_human_size(char *buf, size_t len, uint64_t bytes)
{
    if (bytes < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    } else if (bytes < 1024 * 1024) {
        snprintf(buf, len, "%.1f KiB", (double)bytes / 1024.0);
    } else {
        snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
    }
}

static const char *item_what(const struct run_report *r, unsigned id)
{
    return r->items[id].type == OTA_ITEM_APP ? "app" : "data";
}

/* A failed item's cause: the first error logged for it, else its error. */
static const char *cause(const struct run_item_fact *f)
{
    if (!f->done) {
        return "did not run (an earlier item failed)";
    }
    return f->cause[0] ? f->cause : ota_strerror(f->err);
}

void run_summary_item(const struct run_report *r, unsigned id)
{
    if (!summary_lines || id >= r->count || id >= RUN_MAX_ITEMS) {
        return;
    }
    const struct run_item_fact *f = &r->item[id];
    const struct ota_item *it = &r->items[id];
    char size[32];
    run_human_size(size, sizeof(size), f->bytes);
    bool nothing = f->err == OTA_OK && r->release && r->release->accepted &&
                   (r->release->decision.action == OTA_MANIFEST_UP_TO_DATE ||
                    r->release->decision.action == OTA_MANIFEST_HELD_BACK ||
                    r->release->decision.action == OTA_MANIFEST_ROLLED_BACK);
    /* A release that installs nothing was last reading its signature: name the manifest. */
    const char *from = nothing && r->release->cfg.manifest_uri ? r->release->cfg.manifest_uri : it->uri;
    fprintf(stderr, "%s%s%s from %s: ", item_what(r, id), it->label ? " " : "", it->label ? it->label : "", from);
    if (nothing) {
        fprintf(stderr, "nothing installed: %s\n", ota_release_action_name(r->release->decision.action));
    } else if (f->err == OTA_OK) {
        fprintf(stderr, "written to %s (%s received%s)\n", f->slot[0] ? f->slot : "its partition", size,
                f->patch ? ", a patch" : "");
    } else {
        /* The cause follows on the run's last line. */
        fprintf(stderr, "%s\n", f->err == OTA_ERR_NOT_NEWER ? "not newer than the running app" : "failed");
    }
}

void run_summary_restart(const struct run_report *r)
{
    if (!summary_lines || !r->restarted || r->boot.boots == 0) {
        return;
    }
    const struct cli_boot_fact *b = &r->boot.boot[r->boot.boots - 1];
    fprintf(stderr, "restarted: %s boots %s %s%s\n", b->label, b->project, b->version,
            b->trial ? " (trial boot)" : "");
}

void run_summary_failures(const struct run_report *r, bool up_to_date)
{
    char line[600];
    size_t n = 0;
    unsigned failed = 0;
    line[0] = 0;
    for (unsigned i = 0; i < r->count && i < RUN_MAX_ITEMS; i++) {
        const struct run_item_fact *f = &r->item[i];
        if (f->done && f->err == OTA_OK) {
            continue;
        }
        failed++;
        if (n < sizeof(line)) {
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s item failed: %s", n ? "; " : "",
                                  item_what(r, i), cause(f));
        }
    }
    if (!failed) {
        return;
    }
    if (up_to_date) {
        fprintf(stderr, "ota: %u of %u upgrade items were already up to date: nothing to do\n", failed, r->count);
    } else if (r->count == 1) {
        fprintf(stderr, "ota: %s\n", line);
    } else {
        fprintf(stderr, "ota: %u of %u upgrade items failed: %s\n", failed, r->count, line);
    }
}

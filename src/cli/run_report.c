/* What `ota run` reports: results, progress, wear, memory, exit status. */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_power.h"
#include "ota/log.h"
#include "json.h"
#include "run_release.h"
#include "run_report.h"
#include "run_summary.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

void run_report_init(struct run_report *r, bool tty)
{
    memset(r, 0, sizeof(*r));
    r->tty = tty;
    r->last_progress = -1;
}

void run_end_progress_line(void *ctx)
{
    struct run_report *r = ctx;
    if (r->progress_open) {
        fputc('\n', stderr);
        r->progress_open = false;
    }
}

static void record_result(struct run_report *r, const struct ota_event *ev)
{
    if (ev->id >= RUN_MAX_ITEMS) {
        return;
    }
    struct run_item_fact *f = &r->item[ev->id];
    f->done = true;
    f->err = ev->err;
    f->result = ev->result;
    f->bytes = r->ht->bytes_received - r->bytes_before;
    r->bytes_before = r->ht->bytes_received;
    /* The item's working state is still there until the next item starts. */
    f->resumed = r->svc->work.resumed;
    f->fell_back = r->svc->work.fell_back;
    if (r->items[ev->id].type == OTA_ITEM_APP && r->svc->work.patch && r->svc->work.patch->active) {
        f->patch = true;
        f->patch_bytes = r->svc->work.patch->bytes;
    }
    snprintf(f->slot, sizeof(f->slot), "%s", r->svc->work.part ? r->svc->work.part->label : "");
    snprintf(f->cause, sizeof(f->cause), "%s", r->first_error);
}

static bool release_installs_nothing(const struct run_report *r);

void run_on_event(void *ctx, const struct ota_event *ev)
{
    struct run_report *r = ctx;
    if (ev->type != OTA_EVENT_RESULT) {
        return;
    }
    run_end_progress_line(r);
    r->last_progress = -1;
    record_result(r, ev);
    run_summary_item(r, ev->id);
    if (ev->err == OTA_OK && release_installs_nothing(r)) {
        /* A release that installs nothing is not an OTA that succeeded. */
        OTA_LOGI(TAG, "List id: %u, nothing installed: %s", ev->id, ota_release_action_name(r->release->decision.action));
    } else if (ev->err == OTA_OK) {
        OTA_LOGI(TAG, "List id: %u, OTA success", ev->id);
    } else {
        OTA_LOGE(TAG, "List id: %u, OTA failed: %s (%s: %s)", ev->id, ota_result_name(ev->result),
                 ota_errname(ev->err), ota_strerror(ev->err));
    }
    r->first_error[0] = 0;  /* the next item's cause is its own */
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* "[#####    ]  40% 409.6 KiB/1.0 MiB, 3.2 MiB/s, 0:01 left" on one line;
 * the rate counts from the first sample (whose bytes arrived before the
 * clock started: counting them made the first rate absurd). */
static void draw_bar(struct run_report *r, int pct, uint64_t done, int64_t total)
{
    double secs = seconds_since(&r->item_start);
    double rate = secs >= 0.05 && done > r->first_done ? (double)(done - r->first_done) / secs : 0;
    char d[24], t[24], rs[24];
    run_human_size(d, sizeof(d), done);
    run_human_size(t, sizeof(t), (uint64_t)total);
    fprintf(stderr, "\r[%-25.*s] %3d%% %s/%s", pct / 4, "#########################", pct, d, t);
    if (rate > 0) {
        unsigned left = (unsigned)((double)((uint64_t)total - done) / rate + 0.5);
        run_human_size(rs, sizeof(rs), (uint64_t)rate);
        fprintf(stderr, ", %s/s, %u:%02u left ", rs, left / 60, left % 60);
    }
    fflush(stderr);
    r->progress_open = true;
}

void run_on_progress(void *ctx, unsigned id, uint64_t done, int64_t total)
{
    struct run_report *r = ctx;
    (void)id;
    if (total <= 0 || (uint64_t)total < done) {
        return;
    }
    int pct = (int)(done * 100 / (uint64_t)total);
    if (r->last_progress < 0) {
        clock_gettime(CLOCK_MONOTONIC, &r->item_start);
        r->first_done = done;
    }
    if (r->tty) {
        if (pct != r->last_progress) {
            r->last_progress = pct;
            draw_bar(r, pct, done, total);
        }
    } else if (pct / 25 != r->last_progress / 25 || r->last_progress < 0) {
        r->last_progress = pct;
        char d[24], t[24];
        run_human_size(d, sizeof(d), done);
        run_human_size(t, sizeof(t), (uint64_t)total);
        OTA_LOGI("OTA_DEFAULT", "progress: %s of %s (%d%%)", d, t, pct);
    }
}

/* Flash timing model of a common 4 MB SPI NOR (W25Q32JV class). */
#define MS_PAGE_PROGRAM 0.4
#define MS_SECTOR_ERASE 45.0
#define MS_BLOCK_ERASE 150.0

static double flash_seconds(const struct ota_flash_counters *c)
{
    return ((double)c->programs * MS_PAGE_PROGRAM + (double)c->sector_erases * MS_SECTOR_ERASE +
            (double)c->block_erases * MS_BLOCK_ERASE) / 1000.0;
}

/* What the update cost the flash, and what erasing the whole slot up front
 * (ESP-ADF's original) would have cost on top of the same programs. */
void run_log_totals(const struct run_report *r, const struct ota_flash_counters *c, uint32_t slot_size)
{
    struct ota_host_mem_stats mem;
    OTA_LOGI("OTA_SERVICE", "received %llu bytes over %u streams", (unsigned long long)r->ht->bytes_received,
             r->ht->streams_opened);
    OTA_LOGI("FLASH", "%llu sector erases, %llu block erases (%llu sectors' worth), %llu page programs, %llu bytes "
             "programmed; emulated flash time %.1f s", (unsigned long long)c->sector_erases,
             (unsigned long long)c->block_erases, (unsigned long long)(c->sector_erases + 16 * c->block_erases),
             (unsigned long long)c->programs, (unsigned long long)c->bytes_programmed, flash_seconds(c));
    if (slot_size) {
        OTA_LOGI("FLASH", "a whole-slot erase up front (%u sectors) would cost %.1f s of erase by 64 KiB blocks, "
                 "%.1f s by sectors", (unsigned)(slot_size / 4096), (double)(slot_size / 65536) * MS_BLOCK_ERASE / 1000.0,
                 (double)(slot_size / 4096) * MS_SECTOR_ERASE / 1000.0);
    }
    ota_host_mem_stats(&mem);
    OTA_LOGI("MEM", "update path: service state %zu B + patch work area %zu B (caller-owned, static), port heap "
             "peak %zu B; libcurl heap peak %zu B (TLS library not counted)", sizeof(struct ota_service),
             sizeof(struct ota_item_patch), mem.port_peak, mem.curl_peak);
}

/* A release that is up to date or holds this device back succeeds without
 * installing anything: nothing to do, as for an app that is not newer. */
static bool release_installs_nothing(const struct run_report *r)
{
    const struct ota_release_item *rel = r->release;
    return rel && rel->accepted &&
           (rel->decision.action == OTA_MANIFEST_UP_TO_DATE || rel->decision.action == OTA_MANIFEST_HELD_BACK ||
            rel->decision.action == OTA_MANIFEST_ROLLED_BACK);
}

int run_exit_status(const struct run_report *r)
{
    unsigned ok = 0, not_newer = 0, busy = 0;
    if (r->power_cut) {
        return CLI_POWER_CUT;
    }
    for (unsigned i = 0; i < r->count; i++) {
        const struct run_item_fact *f = &r->item[i];
        ok += f->done && (f->err == OTA_OK || f->err == OTA_ERR_ACTIVATION_DEFERRED);  /* as the app asked */
        not_newer += f->done && f->err == OTA_ERR_NOT_NEWER;
        busy += f->done && f->err == OTA_ERR_PENDING_VERIFY;
    }
    if (r->reboot && !r->restarted) {
        return CLI_FAIL;  /* after the restart no app runs */
    }
    if (ok == r->count) {
        return release_installs_nothing(r) ? CLI_UP_TO_DATE : CLI_OK;
    }
    if (busy && ok + not_newer + busy == r->count) {
        return CLI_BUSY;
    }
    return not_newer == r->count ? CLI_UP_TO_DATE : CLI_FAIL;
}

static void items_json(struct json *j, const struct run_report *r)
{
    json_array(j, "items");
    for (unsigned i = 0; i < r->count; i++) {
        const struct run_item_fact *f = &r->item[i];
        const struct ota_item *it = &r->items[i];
        json_object(j, NULL);
        json_uint(j, "id", i);
        json_str(j, "type", it->type == OTA_ITEM_APP ? "app" : "data");
        json_str(j, "uri", it->uri);
        json_str(j, "label", it->label);
        json_bool(j, "ran", f->done);
        json_bool(j, "success", f->done && f->err == OTA_OK);
        json_str(j, "result", f->done ? ota_result_name(f->result) : NULL);
        json_error(j, "error", f->err);
        json_uint(j, "bytes_received", f->bytes);
        json_bool(j, "resumed", f->resumed);
        json_str(j, "slot", f->slot[0] ? f->slot : NULL);
        if (it->type == OTA_ITEM_APP) {
            json_bool(j, "patch", f->patch);
            json_uint(j, "patch_bytes", f->patch_bytes);
            json_str(j, "fallback_uri", it->fallback_uri);
            json_bool(j, "fell_back", f->fell_back);
        }
        json_close(j);
    }
    json_close(j);
}

static void release_json(struct json *j, const struct ota_release_item *rel, int rolled_back)
{
    if (!rel || !rel->accepted) {
        json_null(j, "release");
        return;
    }
    json_object(j, "release");
    json_uint(j, "serial", rel->manifest.serial);
    json_str(j, "version", rel->manifest.version);
    json_str(j, "action", ota_release_action_name(rel->decision.action));
    json_bool(j, "patch_missing_fell_back_to_full", rel->fell_back);
    json_uint(j, "patch_bytes", rel->patch_bytes);
    json_uint(j, "rollout_bucket", rel->decision.bucket);
    run_release_items_json(j, rel);
    char digest[2 * OTA_SHA256_LEN + 1];
    for (unsigned i = 0; i < OTA_SHA256_LEN; i++) {
        snprintf(digest + 2 * i, 3, "%02x", rel->manifest.app_sha256[i]);
    }
    json_str(j, "app_sha256", digest);
    json_str(j, "outcome", !rel->rolled_back ? NULL
                           : rolled_back == OTA_HOST_ROLLBACK_NOT_BOOTED ? "rolled back: the new app did not boot"
                                                                         : "rolled back: self-test failed");
    json_close(j);
}

static void totals_json(struct json *j, const struct run_report *r, const struct ota_flash_counters *c)
{
    struct ota_host_mem_stats mem;
    ota_host_mem_stats(&mem);
    json_object(j, "flash");
    json_uint(j, "sector_erases", c->sector_erases);
    json_uint(j, "block_erases", c->block_erases);
    json_uint(j, "page_programs", c->programs);
    json_uint(j, "bytes_programmed", c->bytes_programmed);
    json_double(j, "emulated_seconds", flash_seconds(c));
    json_close(j);
    json_object(j, "memory");
    json_uint(j, "service_state", sizeof(struct ota_service));
    json_uint(j, "patch_work_area", sizeof(struct ota_item_patch));
    json_uint(j, "port_heap_peak", mem.port_peak);
    json_uint(j, "curl_heap_peak", mem.curl_peak);
    json_close(j);
    json_uint(j, "bytes_received", r->ht->bytes_received);
    json_uint(j, "streams", r->ht->streams_opened);
}

void run_report_json(const struct run_report *r, const char *image, const struct ota_flash_counters *c, int status)
{
    struct json j;
    json_begin(&j, stdout);
    json_str(&j, "image", image);
    json_uint(&j, "exit_status", (unsigned)status);
    items_json(&j, r);
    release_json(&j, r->release, r->boot.rolled_back);
    if (r->ddi_json) {
        r->ddi_json(&j, r->ddi_ctx);
    } else {
        json_null(&j, "ddi");
    }
    json_bool(&j, "reboot", r->reboot);
    json_bool(&j, "power_cut", r->power_cut);
    if (r->reboot && !r->power_cut) {
        json_object(&j, "restart");
        json_bool(&j, "app_runs", r->restarted);
        cli_boot_report_json(&j, &r->boot);
        json_close(&j);
    } else {
        json_null(&j, "restart");
    }
    totals_json(&j, r, c);
    json_end(&j);
}

/*
 * What an app on a device links of the core: the seed example's calls
 * (an upgrade list run by the service, its outcome by name), a release
 * item beside it, the push API for an app that receives its image itself,
 * and marking the running app valid after a rollback-enabled boot.
 * bench/footprint links it with --gc-sections, as ESP-IDF links an app,
 * and counts the core's sections the link keeps.
 *
 * The port's functions (hash, signature verification, log) are empty here:
 * they are the platform's code, not the core's, and are not counted.
 */
#include "ota/crypto.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "ota/release.h"
#include "ota/service.h"
#include "ota/signature.h"
#include "ota/update.h"

static struct ota_service svc;
static struct ota_item items[3];
static struct ota_release_item release;
static struct ota_app_update push;
static const char *volatile sink;

int main(void)
{
    struct ota_service_config config = {0};
    struct ota_release_config release_config = {0};
    bool reboot = false;
    ota_release_item_init(&items[2], &release, &release_config);
    int err = ota_service_init(&svc, &config);
    if (!err) {
        err = ota_service_set_upgrade_list(&svc, items, 3);
    }
    if (!err && ota_pt_find_label(&svc.dev.table, "flash_tone")) {
        err = ota_service_start(&svc, &reboot);
    }
    if (ota_release_rolled_back(&release)) {
        err = ota_release_note_rolled_back(NULL, 0, NULL);
    }
    struct ota_app_options opt = {0};
    if (!ota_app_begin(&push, &svc.dev, &opt)) {
        struct ota_image_info info;
        err = ota_app_write(&push, &svc, 1);
        err = err ? err : ota_app_finish(&push, &info);
        if (err) {
            ota_app_abort(&push);
        }
    }
    err = err ? err : ota_app_mark_valid(svc.dev.flash, &svc.dev.table);
    sink = ota_errname(err);
    sink = ota_strerror(err);
    sink = ota_result_name(ota_result_from_err(err));
    return reboot;
}

/* The port's side, not counted. */
void ota_sha256_init(ota_sha256_ctx *ctx) { (void)ctx; }
void ota_sha256_update(ota_sha256_ctx *ctx, const void *data, size_t len) { (void)ctx; (void)data; (void)len; }
void ota_sha256_finish(ota_sha256_ctx *ctx, uint8_t out[OTA_SHA256_LEN]) { (void)ctx; (void)out; }
void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN]) { (void)data; (void)len; (void)out; }
void ota_log(enum ota_log_level level, const char *tag, const char *fmt, ...) { (void)level; (void)tag; (void)fmt; }
int ota_crypto_rsa3072_pss_verify(const uint8_t n_le[384], uint32_t e, const uint8_t digest[32], const uint8_t sig_le[384])
{
    (void)n_le, (void)e, (void)digest, (void)sig_le;
    return -1;
}
int ota_crypto_ecdsa_p256_verify(const uint8_t x_le[32], const uint8_t y_le[32], const uint8_t digest[32],
                                 const uint8_t r_le[32], const uint8_t s_le[32])
{
    (void)x_le, (void)y_le, (void)digest, (void)r_le, (void)s_le;
    return -1;
}

#include <stdlib.h>

#include "fuzz_common.h"
#include "ota/decrypt.h"
#include "ota/host_decrypt.h"
#include "ota/host_encrypt.h"
#include "ota/partition.h"
#include "ota/update.h"

/* The decrypt layer through the app writer, on a RAM device (1 MiB, two
 * 256 KiB slots, a built app running in ota_0), with a fixed P-256 test
 * key. The input's first byte picks the format (bit 0: esp or chunked),
 * whether the rest is fed as it is (bit 1: a hostile encrypted stream) or
 * is a payload encrypted here first (an image, a compressed image, a
 * patch: the layer tells them apart after decryption), and seeds the
 * random write sizes; bytes 1..3 flip one byte of the encrypted stream
 * (offset LE16, xor; 0: none). What must hold: an encrypted stream with a
 * flipped byte is never installed, and a payload that installs as an image
 * is in the slot byte for byte. */
#define FLASH_SIZE (1024u * 1024u)
#define CTRL 4u

static uint8_t flash_mem[FLASH_SIZE], pristine[FLASH_SIZE];
static struct ota_flash flash;
static struct ota_crypto_key *key;
static uint8_t work[OTA_CHUNKED_WORK_LEN];
static struct ota_delta applier;
static struct ota_app_update up;

static int f_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, flash_mem + addr, len);
    return OTA_OK;
}

static int f_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx;
    for (uint32_t i = 0; i < len; i++) {
        flash_mem[addr + i] &= ((const uint8_t *)buf)[i];  /* NOR: bits only clear */
    }
    return OTA_OK;
}

static int f_erase(void *ctx, uint32_t addr, uint32_t len)
{
    (void)ctx;
    memset(flash_mem + addr, 0xff, len);
    return OTA_OK;
}

struct sink {
    uint8_t *p;
    size_t len;
};

static int emit(void *ctx, const void *data, size_t len)
{
    struct sink *s = ctx;
    memcpy(s->p + s->len, data, len);
    s->len += len;
    return OTA_OK;
}

static void setup(void)
{
    static const char csv[] = "nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\nphy_init, data, phy, , 0x1000\n"
                              "ota_0, app, ota_0, , 256K\nota_1, app, ota_1, , 256K\n";
    static struct ota_ptable t;
    static uint8_t app[65536];
    struct ota_pt_diag d;
    uint8_t bin[OTA_PT_LEN];
    struct sink s = {app, 0};
    struct ota_image_build_params p = {"ota_example", "v1.0.0", 0, OTA_CHIP_ESP32, sizeof(app), "12:00:00",
                                       "Jan  1 2026", "fuzz"};
    memset(flash_mem, 0xff, sizeof(flash_mem));
    flash.ctx = NULL;
    flash.size = FLASH_SIZE;
    flash.read = f_read;
    flash.program = f_program;
    flash.erase = f_erase;
    if (ota_pt_parse_csv(csv, sizeof(csv) - 1, FLASH_SIZE, &t, &d) || ota_pt_to_binary(&t, bin) ||
        ota_image_build(&p, emit, &s) || ota_host_decrypt_key_load(OTA_TEST_DATA_DIR "/test_p256.pem", &key)) {
        __builtin_trap();
    }
    memcpy(flash_mem + OTA_PT_OFFSET, bin, sizeof(bin));
    memcpy(flash_mem + ota_pt_find_label(&t, "ota_0")->offset, app, s.len);
    memcpy(pristine, flash_mem, sizeof(pristine));
}

static int install(const uint8_t *enc, size_t len, uint32_t seed)
{
    struct ota_device dev;
    struct ota_app_options opt = {NULL, (int64_t)len, false, NULL, NULL, NULL};
    memcpy(flash_mem, pristine, sizeof(flash_mem));
    int err = ota_device_open(&dev, &flash, 0x10000);
    if (err) {
        __builtin_trap();
    }
    dev.decrypt_key = key;
    dev.decrypt_work = work;
    if ((err = ota_app_begin(&up, &dev, &opt))) {
        return err;
    }
    ota_app_apply_decrypted(&up, &applier);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t off = 0; !err && off < len;) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t n = 1 + x % (1u << (1 + (seed >> 2) % 13));
        n = n < len - off ? n : len - off;
        err = ota_app_write(&up, enc + off, n);
        off += n;
    }
    if (!err) {
        err = ota_app_finish(&up, NULL);
    }
    if (err) {
        ota_app_abort(&up);
    }
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *enc = NULL;
    size_t len = 0;
    if (!key) {
        setup();
    }
    if (size < CTRL) {
        return 0;
    }
    bool chunked = data[0] & 1, raw = data[0] & 2;
    uint32_t flip_at = (uint32_t)data[1] | (uint32_t)data[2] << 8;
    uint8_t flip = data[3];
    const uint8_t *payload = data + CTRL;
    size_t plen = size - CTRL;
    if (raw) {
        enc = malloc(plen ? plen : 1);
        memcpy(enc, payload, plen);
        len = plen;
    } else if (!plen || (chunked ? ota_host_encrypt_chunked(payload, plen, OTA_TEST_DATA_DIR "/test_p256_pub.pem", 9,
                                                            &enc, &len)
                                 : ota_host_encrypt_esp(payload, plen, OTA_TEST_DATA_DIR "/test_p256_pub.pem", &enc,
                                                        &len))) {
        return 0;
    }
    bool flipped = flip && flip_at < len;
    if (flipped) {
        enc[flip_at] ^= flip;
    }
    int err = install(enc, len, data[0]);
    if (!raw && flipped && err == OTA_OK) {
        __builtin_trap();  /* an altered encrypted stream was installed */
    }
    if (!raw && !flipped && err == OTA_OK && !ota_delta_is_patch(payload, plen) &&
        memcmp(flash_mem + 0x50000, payload, plen) != 0) {
        __builtin_trap();  /* installed, and the slot is not the image */
    }
    free(enc);
    return 0;
}

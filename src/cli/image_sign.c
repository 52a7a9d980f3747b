/* `ota image sign` on a file that may be signed already: espsecure's way. */
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_sign.h"
#include "ota/signature.h"
#include "cli.h"

/* How many signature blocks end a signed file (0: not signed); a signed
 * file is its image padded to 4 KiB, then the signature sector. */
static unsigned signed_blocks(const uint8_t *data, size_t len)
{
    struct ota_sig_block b;
    unsigned n = 0;
    if (len < 2 * OTA_SIG_SECTOR_LEN || len % OTA_SIG_SECTOR_LEN != 0) {
        return 0;
    }
    const uint8_t *sector = data + len - OTA_SIG_SECTOR_LEN;
    while (n < 3 && ota_sig_block_decode(sector + n * OTA_SIG_BLOCK_LEN, &b) == OTA_OK) {
        n++;
    }
    return n;
}

struct capture {
    uint8_t *buf;
    size_t len, cap;
};

static int capture(void *ctx, const void *data, size_t len)
{
    struct capture *c = ctx;
    if (len > c->cap - c->len) {
        return OTA_ERR_NO_MEM;
    }
    memcpy(c->buf + c->len, data, len);
    c->len += len;
    return OTA_OK;
}

int cli_sign_file(const char *in, const uint8_t *data, size_t len, const char *key, bool deterministic, bool append,
                  ota_emit_fn emit, void *ctx, uint32_t *sector_at, unsigned *block)
{
    unsigned had = signed_blocks(data, len);
    size_t image_len = had ? len - OTA_SIG_SECTOR_LEN : len;
    if (append && had == 3) {
        cli_error("%s already holds 3 signatures, the most a signature sector holds (Secure Boot V2)", in);
        return CLI_FAIL;
    }
    struct capture c = {malloc(image_len + 2 * OTA_SIG_SECTOR_LEN), 0, image_len + 2 * OTA_SIG_SECTOR_LEN};
    int err = c.buf ? ota_host_sign(data, image_len, key, deterministic, capture, &c) : OTA_ERR_NO_MEM;
    if (err == OTA_ERR_SIG_KEY) {
        cli_error("%s: not an RSA-3072 or ECDSA P-256 private key, the schemes this tool signs with (ECDSA-384, "
                  "for newer chips' Secure Boot V2, is not supported)", key);
        free(c.buf);
        return CLI_FAIL;
    }
    if (err) {
        cli_error("signing %s with %s: %s", in, key, ota_strerror(err));
        free(c.buf);
        return CLI_FAIL;
    }
    /* The new sector is the last 4 KiB; appending keeps the old blocks and
     * puts the new one in the first free place, as --append_signatures. */
    uint8_t *sector = c.buf + c.len - OTA_SIG_SECTOR_LEN;
    *sector_at = (uint32_t)(c.len - OTA_SIG_SECTOR_LEN);
    *block = append ? had : 0;
    if (append && had) {
        uint8_t fresh[OTA_SIG_BLOCK_LEN];
        memcpy(fresh, sector, sizeof(fresh));
        memcpy(sector, data + len - OTA_SIG_SECTOR_LEN, OTA_SIG_SECTOR_LEN);
        memcpy(sector + had * OTA_SIG_BLOCK_LEN, fresh, sizeof(fresh));
    }
    err = emit(ctx, c.buf, c.len);
    free(c.buf);
    if (err) {
        cli_error("writing the signed %s: %s", in, cli_file_error(err));
        return CLI_FAIL;
    }
    return CLI_OK;
}

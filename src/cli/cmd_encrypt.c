/* ota image encrypt: an app image for devices that take encrypted images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_encrypt.h"
#include "cli.h"
#include "commands.h"

static bool scheme_matches(const char *scheme, enum ota_crypto_key_kind kind)
{
    return !scheme || (strcmp(scheme, "rsa3072") == 0 && kind == OTA_KEY_RSA3072) ||
           (strcmp(scheme, "ecc256") == 0 && kind == OTA_KEY_P256);
}

static int check_args(const char *pub, const char *format, const char *scheme, enum ota_crypto_key_kind *kind)
{
    if (!pub) {
        cli_error("--pub KEY.pem (the device's RSA-3072 or P-256 public key) is required");
        return CLI_USAGE;
    }
    if (strcmp(format, "esp") != 0 && strcmp(format, "chunked") != 0) {
        cli_error("--format is esp or chunked, not '%s'", format);
        return CLI_USAGE;
    }
    if (scheme && strcmp(scheme, "rsa3072") != 0 && strcmp(scheme, "ecc256") != 0) {
        cli_error("--scheme is rsa3072 or ecc256, not '%s'", scheme);
        return CLI_USAGE;
    }
    int err = ota_host_encrypt_pub_kind(pub, kind);
    if (err) {
        cli_error("%s: %s", pub, ota_strerror(err));
        return CLI_FAIL;
    }
    if (!scheme_matches(scheme, *kind)) {
        cli_error("--scheme %s does not fit %s, a%s key", scheme, pub,
                  *kind == OTA_KEY_RSA3072 ? "n RSA-3072" : " P-256");
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_image_encrypt(int argc, char **argv)
{
    const char *pos[2], *pub = NULL, *format = "esp", *scheme = NULL;
    enum ota_crypto_key_kind kind = OTA_KEY_NONE;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE("pub", &pub, "KEY.pem", "the device's public key: RSA-3072 or P-256 (required)"),
        CLI_VALUE_D("format", &format, "esp|chunked",
                    "esp: esp_encrypted_img's format (esp_enc_img_gen.py); chunked: ours, 4 KiB chunks each "
                    "authenticated before it is written, RSA-OAEP-3072 or ECIES P-256 (docs/encryption.md)", "esp"),
        CLI_VALUE_D("scheme", &scheme, "rsa3072|ecc256", "the key wrap; must fit --pub", "the key's kind"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos)) || (rc = check_args(pub, format, scheme, &kind))) {
        return rc;
    }
    uint8_t *data, *out = NULL;
    size_t len, out_len = 0;
    if (cli_read_file(pos[0], &data, &len)) {
        return CLI_FAIL;
    }
    bool chunked = strcmp(format, "chunked") == 0;
    int err = chunked ? ota_host_encrypt_chunked(data, len, pub, 12, &out, &out_len)
                      : ota_host_encrypt_esp(data, len, pub, &out, &out_len);
    free(data);
    if (err) {
        cli_error("encrypting %s: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    rc = cli_write_file(pos[1], out, out_len);
    free(out);
    if (!rc) {
        printf("encrypted %s -> %s: %zu bytes, %s, %s\n", pos[0], pos[1], out_len,
               chunked ? "chunked v1" : "esp_encrypted_img",
               kind == OTA_KEY_RSA3072 ? (chunked ? "RSA-OAEP-3072" : "RSA-3072") : (chunked ? "ECIES P-256" : "ECC-256"));
    }
    return rc;
}

#include "cli.h"
#include "commands.h"

const struct cli_command cli_commands[] = {
    {"flash", "create", cmd_flash_create,
     "ota flash create IMG --table CSV|BIN [--size 4MB] [--bootloader FILE] [--chip C] [--rollback] [--json]",
     "Create a device image: an erased NOR flash of --size with the partition table at 0x8000 (and a bootloader at 0x1000)."},
    {"flash", "write", cmd_flash_write, "ota flash write IMG LABEL|0xOFFSET FILE",
     "Write FILE into partition LABEL of device image IMG, or at a flash offset as esptool write_flash does "
     "(erasing the sectors it covers first)."},
    {"flash", "read", cmd_flash_read, "ota flash read IMG LABEL OUT",
     "Copy partition LABEL of device image IMG into the file OUT."},
    {"flash", "erase", cmd_flash_erase, "ota flash erase IMG LABEL",
     "Erase partition LABEL of device image IMG (all bytes 0xFF)."},
    {"partition", "make", cmd_partition_make, "ota partition make CSV OUT [--flash-size SIZE]",
     "Turn a partition table CSV (gen_esp32part.py's syntax and rules) into its 3 KiB binary."},
    {"partition", "show", cmd_partition_show, "ota partition show IMG|BIN|CSV [--csv] [--json]",
     "Show the partition table of a binary table or of a device image (at 0x8000)."},
    {"otadata", "show", cmd_otadata_show, "ota otadata show IMG [--json]",
     "Show both otadata copies (sequence, state, CRC) and which slot the bootloader would boot."},
    {"otadata", "select", cmd_otadata_select, "ota otadata select IMG LABEL [--rollback] [--no-verify]",
     "Select the OTA app partition LABEL for the next boot, as esp_ota_set_boot_partition does."},
    {"otadata", "mark", cmd_otadata_mark, "ota otadata mark IMG valid|invalid",
     "Mark the running app valid or invalid (esp_ota_mark_app_valid_cancel_rollback / _invalid_rollback_and_reboot)."},
    {"image", "info", cmd_image_info, "ota image info FILE [--label LABEL (FILE is a device image)] [--json]",
     "Describe an app or bootloader image (header, segments, checksum, hash, descriptor, signature) as esptool's image_info does."},
    {"image", "make", cmd_image_make,
     "ota image make OUT --project P --version V [--secure-version N] [--size BYTES] [--chip esp32|esp32s2|esp32s3|esp32c3]",
     "Make a valid app image with an app descriptor (project, version, secure_version), for tests and examples."},
    {"image", "verify", cmd_image_verify,
     "ota image verify FILE [--label LABEL] [--chip esp32|esp32s2|esp32s3|esp32c3|any] [--max-size BYTES] [--json]",
     "Verify an app image as the OTA service does before the boot switch (chip, size, checksum, hash, descriptor)."},
    {"image", "sign", cmd_image_sign, "ota image sign IN OUT --key KEY.pem [--append] [--deterministic]",
     "Append a Secure Boot V2 signature sector (RSA-3072-PSS or ECDSA P-256), as espsecure.py sign_data --version 2 does."},
    {"image", "compress", cmd_image_compress, "ota image compress IN OUT [--any] [--no-code-transform] [--sync BYTES] [--json]",
     "Compress app image IN for transfer (docs/compress-format.md): ota run --app, the push API and releases install it as the image itself."},
    {"image", "decompress", cmd_image_decompress, "ota image decompress IN OUT [--json]",
     "Decompress a compressed app image with the device's decoder and write the image to OUT."},
    {"key", "new", cmd_key_new, "ota key new OUT [--scheme rsa3072|ecdsa256|ecdsa384]",
     "Make a Secure Boot V2 signing key (PEM), as espsecure.py generate_signing_key --version 2 does."},
    {"key", "pub", cmd_key_pub, "ota key pub KEY OUT",
     "Write the public half of KEY to OUT (PEM), as espsecure.py extract_public_key --version 2 does."},
    {"key", "digest", cmd_key_digest, "ota key digest PUB [--out FILE]",
     "Print the key's Secure Boot V2 eFuse digest, as espsecure.py digest_sbv2_public_key does."},
    {"image", "verify-signature", cmd_image_verify_signature,
     "ota image verify-signature FILE [--pub PUB.pem | --key-digest HEX]",
     "Verify an image's Secure Boot V2 signature, optionally against a trusted key or key digest."},
    {"image", "encrypt", cmd_image_encrypt, "ota image encrypt IN OUT --pub KEY.pem [--format esp|chunked] [--scheme rsa3072|ecc256]",
     "Encrypt an app image for devices holding the private key (esp_encrypted_img's format, as esp_enc_img_gen.py encrypt, or our chunked one)."},
    {"tone", "info", cmd_tone_info, "ota tone info FILE [--label LABEL (FILE is a device image)] [--json]",
     "Describe an ESP-ADF tone image (format, files, CRC and tail), from a file or a partition."},
    {"tone", "make", cmd_tone_make, "ota tone make OUT FILE... [--format 0|1] [--version vX.Y.Z]",
     "Make an ESP-ADF tone image (format 0 or 1) from audio files."},
    {"boot", NULL, cmd_boot, "ota boot IMG [--rollback] [--self-test pass|fail|skip] [--chip esp32|esp32s2|esp32s3|esp32c3|any] [--json]",
     "Power on the device: the second-stage bootloader picks and verifies an app, which then starts (and on a trial boot runs its self-test)."},
    {"efuse", NULL, cmd_efuse,
     "ota efuse IMG [--burn-key PEM | --burn-key-digest HEX] [--burn-secure-version N]",
     "Show or burn the emulated eFuses beside IMG (IMG.efuse): Secure Boot V2 key digest, anti-rollback counter."},
    {"run", NULL, cmd_run,
     "ota run IMG [--config SDKCONFIG] [--app URI] [--app-fallback URI] [--data LABEL=URI] [--sdcard DIR] [--ca PEM] [--data-ca PEM] "
     "[--force-version-check] [--no-reboot] [--rollback] [--break-after-fail] [--forbid-http] [--no-tone-check] "
     "[--connect-timeout MS] [--read-timeout MS] [--low-speed-limit BYTES] [--low-speed-time S] [--deadline S] "
     "[--retries N] [--retry-backoff MS] [--power-cut-at N] [--self-test pass|fail|skip] [--json] "
     "[--manifest URI --manifest-pub PUB.pem [--device-id ID] [--project P]] "
     "[--ddi URL --controller-id ID [--tenant T] [--token TOKEN | --gateway-token TOKEN]]",
     "Run the OTA service on the device image: the upgrade list (data item, then app item), verify, switch, restart."},
    {"delta", "make", cmd_delta_make, "ota delta make OLD NEW OUT [--format esp|compact]",
     "Make a patch that turns app image OLD into NEW (esp_delta_ota's format, or our compact one)."},
    {"delta", "apply", cmd_delta_apply, "ota delta apply OLD PATCH OUT [--chunk BYTES]",
     "Apply PATCH to OLD (its base digest checked first) and write the new image to OUT."},
    {"delta", "info", cmd_delta_info, "ota delta info PATCH",
     "Describe a patch: its format, base and result digests, sizes."},
    {"release", NULL, cmd_release,
     "ota release DIR --image NEW.bin [--previous OLD.bin ...] --key KEY.pem [--serial N] [--rollout PERCENT] "
     "[--format compact|esp] [--encrypt-to PUB.pem]",
     "Publish a release into the static tree DIR: the image, it compressed, a patch from each previous release, and "
     "the signed manifests, format 2 (manifest.json.v2: every item, smallest first) and format 1 (manifest.json, "
     "for devices in the field; written last, by rename)."},
    {"status", NULL, cmd_status, "ota status IMG [--json]",
     "Show the device's record of its last server-driven (DDI) update: the action, what it installed, and its "
     "outcome (trial confirmed, rolled back and why), and whether the server has it."},
};

const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

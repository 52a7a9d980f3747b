#include "cli.h"
#include "commands.h"

const struct cli_command cli_commands[] = {
    {"flash", "create", cmd_flash_create,
     "ota flash create IMG --table CSV|BIN [--size 4MB] [--bootloader FILE]"},
    {"flash", "write", cmd_flash_write, "ota flash write IMG LABEL FILE"},
    {"flash", "read", cmd_flash_read, "ota flash read IMG LABEL OUT"},
    {"flash", "erase", cmd_flash_erase, "ota flash erase IMG LABEL"},
    {"partition", "make", cmd_partition_make, "ota partition make CSV OUT [--flash-size SIZE]"},
    {"partition", "show", cmd_partition_show, "ota partition show IMG|BIN [--csv]"},
    {"otadata", "show", cmd_otadata_show, "ota otadata show IMG"},
    {"otadata", "select", cmd_otadata_select, "ota otadata select IMG LABEL [--rollback] [--no-verify]"},
    {"otadata", "mark", cmd_otadata_mark, "ota otadata mark IMG valid|invalid"},
    {"image", "info", cmd_image_info, "ota image info FILE [--label LABEL (FILE is a device image)]"},
    {"image", "make", cmd_image_make,
     "ota image make OUT --project P --version V [--secure-version N] [--size BYTES] [--chip esp32|esp32s2|esp32s3|esp32c3]"},
    {"image", "verify", cmd_image_verify,
     "ota image verify FILE [--label LABEL] [--chip esp32|esp32s2|esp32s3|esp32c3|any] [--max-size BYTES]"},
    {"image", "sign", cmd_image_sign, "ota image sign IN OUT --key KEY.pem [--deterministic]"},
    {"image", "verify-signature", cmd_image_verify_signature,
     "ota image verify-signature FILE [--pub PUB.pem | --key-digest HEX]"},
    {"tone", "info", cmd_tone_info, "ota tone info FILE [--label LABEL (FILE is a device image)]"},
    {"tone", "make", cmd_tone_make, "ota tone make OUT FILE... [--format 0|1] [--version vX.Y.Z]"},
    {"boot", NULL, cmd_boot, "ota boot IMG [--rollback] [--self-test pass|fail|skip] [--chip esp32|esp32s2|esp32s3|esp32c3|any]"},
    {"efuse", NULL, cmd_efuse,
     "ota efuse IMG [--burn-key PEM | --burn-key-digest HEX] [--burn-secure-version N]"},
    {"run", NULL, cmd_run,
     "ota run IMG [--config SDKCONFIG] [--app URI] [--data LABEL=URI] [--sdcard DIR] [--ca PEM] [--data-ca PEM] "
     "[--force-version-check] [--no-reboot] [--rollback] [--break-after-fail] [--forbid-http] [--no-tone-check] "
     "[--connect-timeout MS] [--read-timeout MS] [--retries N] [--retry-backoff MS] [--power-cut-at N] [--self-test pass|fail|skip] "
     "[--manifest URI --manifest-pub PUB.pem [--device-id ID] [--project P]]"},
    {"delta", "make", cmd_delta_make, "ota delta make OLD NEW OUT [--format esp|compact]"},
    {"delta", "apply", cmd_delta_apply, "ota delta apply OLD PATCH OUT [--chunk BYTES]"},
    {"delta", "info", cmd_delta_info, "ota delta info PATCH"},
    {"release", NULL, cmd_release,
     "ota release DIR --image NEW.bin [--previous OLD.bin ...] --key KEY.pem [--serial N] [--rollout PERCENT] "
     "[--format compact|esp]"},
};

const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

/* ota boot: run the second-stage bootloader on a device image. Running it
 * again on the same file is the host's "restart". */
#include <stdio.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/log.h"
#include "ota/otadata.h"
#include "cli.h"
#include "commands.h"

int cmd_boot(int argc, char **argv)
{
    const char *pos[1], *chip_s = "esp32";
    bool rollback = false;
    int npos, rc;
    struct cli_opt opts[] = {{"rollback", NULL, &rollback}, {"chip", &chip_s, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    struct ota_boot_opts bo = {rollback, OTA_CHIP_ESP32, 300};
    if (!cli_parse_chip(chip_s, &bo.chip_id)) {
        return CLI_USAGE;
    }
    struct ota_host_flash hf;
    if (cli_open_device(pos[0], &hf, NULL)) {
        return CLI_FAIL;
    }
    static struct ota_boot_result res;
    int err = ota_boot(&hf.flash, &bo, &res);
    ota_host_flash_close(&hf);
    if (err) {
        cli_error("%s: no app boots: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    cli_log_app_info(&res.info);
    printf("booted: %s (offset 0x%x)%s%s\n", res.part.label, res.part.offset,
           res.fell_back ? ", fallback: the selected app did not verify" : "",
           res.otadata_state == OTA_IMG_PENDING_VERIFY ? ", on trial (PENDING_VERIFY)" : "");
    return CLI_OK;
}

/* ota flash create|write|read|erase: build and edit device images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "cli.h"
#include "commands.h"

#define BOOTLOADER_OFFSET 0x1000u

static int fail_op(const char *what, const char *path, int err)
{
    cli_error("%s %s: %s", what, path, ota_strerror(err));
    return CLI_FAIL;
}

int cmd_flash_create(int argc, char **argv)
{
    const char *pos[1], *size_s = "4MB", *table_s = NULL, *boot_s = NULL;
    int npos, rc;
    struct cli_opt opts[] = {{"size", &size_s, NULL}, {"table", &table_s, NULL}, {"bootloader", &boot_s, NULL}, {0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    uint32_t size;
    if (!cli_parse_size(size_s, &size) || size == 0 || size % OTA_FLASH_BLOCK_SIZE) {
        cli_error("--size %s: give a multiple of 64 KiB, e.g. 4MB", size_s);
        return CLI_USAGE;
    }
    if (!table_s) {
        cli_error("--table CSV|BIN is required");
        return CLI_USAGE;
    }
    static struct ota_ptable table;
    if (cli_load_table_file(table_s, size, &table)) {
        return CLI_FAIL;
    }
    uint8_t bin[OTA_PT_LEN];
    ota_pt_to_binary(&table, bin);

    uint8_t *boot = NULL;
    size_t boot_len = 0;
    if (boot_s) {
        if (cli_read_file(boot_s, &boot, &boot_len)) {
            return CLI_FAIL;
        }
        if (boot_len > OTA_PT_OFFSET - BOOTLOADER_OFFSET) {
            cli_error("%s: %zu bytes does not fit between 0x%x and the table at 0x%x", boot_s, boot_len,
                      BOOTLOADER_OFFSET, OTA_PT_OFFSET);
            free(boot);
            return CLI_FAIL;
        }
    }
    struct ota_host_flash hf;
    int err = ota_host_flash_create(&hf, pos[0], size);
    if (err) {
        free(boot);
        cli_error("cannot create %s: %s", pos[0], err == OTA_ERR_IO ? strerror(errno) : ota_strerror(err));
        return CLI_FAIL;
    }
    /* An erased otadata (both copies 0xFF) is ESP-IDF's initial state: the
     * bootloader then boots factory, or ota_0 and records seq 1. */
    err = ota_flash_program(&hf.flash, OTA_PT_OFFSET, bin, sizeof(bin));
    if (!err && boot) {
        err = ota_flash_program(&hf.flash, BOOTLOADER_OFFSET, boot, (uint32_t)boot_len);
    }
    free(boot);
    ota_host_flash_close(&hf);
    if (err) {
        return fail_op("writing", pos[0], err);
    }
    printf("created %s: %u bytes, %u partitions, table at 0x%x%s\n", pos[0], size, table.count, OTA_PT_OFFSET,
           boot_s ? ", bootloader at 0x1000" : "");
    return CLI_OK;
}

int cmd_flash_write(int argc, char **argv)
{
    const char *pos[3];
    int npos, rc;
    struct cli_opt opts[] = {{0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 3, 3, &npos))) {
        return rc;
    }
    struct ota_host_flash hf;
    static struct ota_ptable table;
    if (cli_open_device(pos[0], &hf, &table)) {
        return CLI_FAIL;
    }
    const struct ota_partition *p = cli_find_partition(&table, pos[1], pos[0]);
    uint8_t *data = NULL;
    size_t len = 0;
    rc = CLI_FAIL;
    if (p && !cli_read_file(pos[2], &data, &len)) {
        if (len > p->size) {
            cli_error("%s: %zu bytes do not fit in partition '%s' (%u bytes)", pos[2], len, p->label, p->size);
        } else {
            uint32_t erase_len = ((uint32_t)len + OTA_FLASH_SECTOR_SIZE - 1) & ~(OTA_FLASH_SECTOR_SIZE - 1);
            int err = ota_flash_erase(&hf.flash, p->offset, erase_len);
            if (!err) {
                err = ota_flash_program(&hf.flash, p->offset, data, (uint32_t)len);
            }
            if (err) {
                fail_op("writing", pos[0], err);
            } else {
                printf("wrote %zu bytes to '%s' at 0x%x\n", len, p->label, p->offset);
                rc = CLI_OK;
            }
        }
    }
    free(data);
    ota_host_flash_close(&hf);
    return rc;
}

int cmd_flash_read(int argc, char **argv)
{
    const char *pos[3];
    int npos, rc;
    struct cli_opt opts[] = {{0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 3, 3, &npos))) {
        return rc;
    }
    struct ota_host_flash hf;
    static struct ota_ptable table;
    if (cli_open_device(pos[0], &hf, &table)) {
        return CLI_FAIL;
    }
    const struct ota_partition *p = cli_find_partition(&table, pos[1], pos[0]);
    rc = CLI_FAIL;
    if (p) {
        uint8_t *buf = malloc(p->size);
        int err = buf ? ota_flash_read(&hf.flash, p->offset, buf, p->size) : OTA_ERR_NO_MEM;
        if (err) {
            fail_op("reading", pos[0], err);
        } else if (!cli_write_file(pos[2], buf, p->size)) {
            printf("read %u bytes of '%s' into %s\n", p->size, p->label, pos[2]);
            rc = CLI_OK;
        }
        free(buf);
    }
    ota_host_flash_close(&hf);
    return rc;
}

int cmd_flash_erase(int argc, char **argv)
{
    const char *pos[2];
    int npos, rc;
    struct cli_opt opts[] = {{0}};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    struct ota_host_flash hf;
    static struct ota_ptable table;
    if (cli_open_device(pos[0], &hf, &table)) {
        return CLI_FAIL;
    }
    const struct ota_partition *p = cli_find_partition(&table, pos[1], pos[0]);
    rc = CLI_FAIL;
    if (p) {
        int err = ota_flash_erase(&hf.flash, p->offset, p->size);
        if (err) {
            fail_op("erasing", pos[0], err);
        } else {
            printf("erased '%s' (0x%x bytes at 0x%x)\n", p->label, p->size, p->offset);
            rc = CLI_OK;
        }
    }
    ota_host_flash_close(&hf);
    return rc;
}

/* Entry points of the `ota` subcommands, one group per file. */
#ifndef OTA_CLI_COMMANDS_H
#define OTA_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cmd_flash_create(int argc, char **argv);
int cmd_key_new(int argc, char **argv);
int cmd_key_pub(int argc, char **argv);
int cmd_key_digest(int argc, char **argv);
int cmd_flash_write(int argc, char **argv);
int cmd_flash_read(int argc, char **argv);
int cmd_flash_erase(int argc, char **argv);
int cmd_partition_make(int argc, char **argv);
int cmd_partition_show(int argc, char **argv);
int cmd_otadata_show(int argc, char **argv);
int cmd_otadata_select(int argc, char **argv);
int cmd_otadata_mark(int argc, char **argv);
int cmd_image_info(int argc, char **argv);
int cmd_image_make(int argc, char **argv);
int cmd_image_verify(int argc, char **argv);
int cmd_image_sign(int argc, char **argv);
int cmd_image_compress(int argc, char **argv);
int cmd_image_decompress(int argc, char **argv);
int cmd_image_verify_signature(int argc, char **argv);
int cmd_image_encrypt(int argc, char **argv);
int cmd_tone_info(int argc, char **argv);
int cmd_tone_make(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_efuse(int argc, char **argv);
int cmd_delta_make(int argc, char **argv);
int cmd_delta_apply(int argc, char **argv);
int cmd_delta_info(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* A patch from old to new in `format` ("esp" or "compact"), for ota delta
 * make and ota release. Returns 0 or OTA_ERR_NO_MEM. */
struct delta_buf;
int cli_delta_make_patch(const char *format, const unsigned char *old, size_t old_len, const unsigned char *nw,
                         size_t new_len, struct delta_buf *out);
/* The same, a compact patch with a sync point every `sync` new-image bytes
 * (0: format 3, none). */
int cli_delta_make_patch_sync(const char *format, const unsigned char *old, size_t old_len, const unsigned char *nw,
                              size_t new_len, uint32_t sync, struct delta_buf *out);
/* Whether both are ESP app images (segment tables that parse): the
 * patches between them may predict relocations. */
bool cli_delta_both_apps(const unsigned char *old, size_t old_len, const unsigned char *nw, size_t new_len);
/* The same, with relocations predicted (compact, both ESP app images). */
int cli_delta_make_patch_opts(const char *format, const unsigned char *old, size_t old_len, const unsigned char *nw,
                              size_t new_len, uint32_t sync, bool reloc, struct delta_buf *out);

#endif

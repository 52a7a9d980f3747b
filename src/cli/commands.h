/* Entry points of the `ota` subcommands, one group per file. */
#ifndef OTA_CLI_COMMANDS_H
#define OTA_CLI_COMMANDS_H

int cmd_flash_create(int argc, char **argv);
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
int cmd_image_verify_signature(int argc, char **argv);
int cmd_tone_info(int argc, char **argv);
int cmd_tone_make(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_efuse(int argc, char **argv);
int cmd_delta_make(int argc, char **argv);
int cmd_delta_apply(int argc, char **argv);
int cmd_delta_info(int argc, char **argv);

#endif

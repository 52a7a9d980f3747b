/* `ota`: the device tool. One file per command group; this file dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_overview(FILE *out)
{
    fprintf(out, "ota: emulated ESP32 device tool (flash images, ESP-IDF formats, bootloader)\n\n"
                 "commands:\n");
    for (size_t i = 0; i < cli_command_count; i++) {
        fprintf(out, "  %s\n", cli_commands[i].usage);
    }
    fprintf(out, "\nEvery command takes --help. Exit status: 0 success, 1 failure, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    bool group_known = false;
    for (size_t i = 0; i < cli_command_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        if (strcmp(argv[1], c->group) != 0) {
            continue;
        }
        group_known = true;
        if (c->name == NULL) {
            if (cli_wants_help(argc - 2, argv + 2)) {
                return cli_usage(c, false);
            }
            return c->run(argc - 2, argv + 2);
        }
        if (argc >= 3 && strcmp(argv[2], c->name) == 0) {
            if (cli_wants_help(argc - 3, argv + 3)) {
                return cli_usage(c, false);
            }
            return c->run(argc - 3, argv + 3);
        }
    }
    if (group_known) {
        bool help = argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
        FILE *out = help ? stdout : stderr;
        if (!help) {
            cli_error("unknown '%s' command%s%s", argv[1], argc >= 3 ? ": " : "", argc >= 3 ? argv[2] : "");
        }
        for (size_t i = 0; i < cli_command_count; i++) {
            if (strcmp(argv[1], cli_commands[i].group) == 0) {
                fprintf(out, "usage: %s\n", cli_commands[i].usage);
            }
        }
        return help ? CLI_OK : CLI_USAGE;
    }
    cli_error("unknown command '%s'", argv[1]);
    print_overview(stderr);
    return CLI_USAGE;
}

/* `ota`: the device tool. One file per command group; this file dispatches. */
#include <stdio.h>
#include <string.h>

#include "ota/host_log.h"
#include "cli.h"

#ifndef OTA_VERSION
#define OTA_VERSION "unknown"
#endif
#ifndef OTA_HASH_PORT
#define OTA_HASH_PORT "unknown"
#endif

static void print_overview(FILE *out)
{
    fprintf(out, "ota: emulated ESP32 device tool (flash images, ESP-IDF formats, bootloader, OTA service)\n\n"
                 "usage: ota [-q|-v] COMMAND [ARGS] [--json] [--help]\n\ncommands:\n");
    for (size_t i = 0; i < cli_command_count; i++) {
        fprintf(out, "  %s\n", cli_commands[i].usage);
    }
    fprintf(out, "\nEvery command takes --help (its options and their defaults). Results go to stdout;\n"
                 "log lines, the progress display and errors go to stderr. --json (run, boot, image\n"
                 "info|verify, otadata show, partition show, tone info, flash create, delta\n"
                 "make|apply|info, release) prints one JSON document on stdout instead of text.\n"
                 "-q: warnings and errors only; -v: debug lines too (ota run prints a few lines by\n"
                 "default; -v: the device's whole log).\n"
                 "ota --version prints the version.\n\n%s",
            CLI_EXIT_CODES_HELP);
}

/* -q/--quiet and -v/--verbose may stand anywhere; take them out of argv. */
static int take_verbosity(int argc, char **argv)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            cli_verbosity = -1;
        } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            cli_verbosity = 1;
        } else {
            argv[n++] = argv[i];
        }
    }
    argv[n] = NULL;
    ota_host_log_set_level(cli_verbosity < 0 ? OTA_LOG_WARN : cli_verbosity > 0 ? OTA_LOG_DEBUG : OTA_LOG_INFO);
    return n;
}

static int run_command(const struct cli_command *c, int argc, char **argv)
{
    cli_current = c;
    int rc = c->run(argc, argv);
    return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
}

/* The command names of a group ("create", "write", ...), or the groups
 * (group NULL); returns how many. */
static size_t command_names(const char *group, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cli_command_count && n < max; i++) {
        const char *name = group ? cli_commands[i].name : cli_commands[i].group;
        if (group && (!name || strcmp(group, cli_commands[i].group) != 0)) {
            continue;
        }
        if (n == 0 || strcmp(names[n - 1], name) != 0) {
            names[n++] = name;
        }
    }
    return n;
}

/* `ota GROUP` alone or with an unknown name: the usage line of the command
 * it most likely misspells, else the group's usage lines. */
static int group_usage(int argc, char **argv)
{
    bool help = argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
    FILE *out = help ? stdout : stderr;
    const char *names[16], *near = NULL;
    if (!help && argc >= 3) {
        near = cli_nearest(argv[2], strlen(argv[2]), names, command_names(argv[1], names, 16));
        cli_error("unknown '%s' command: %s%s%s%s", argv[1], argv[2], near ? ": did you mean '" : "",
                  near ? near : "", near ? "'?" : "");
    } else if (!help) {
        cli_error("'%s' needs a command", argv[1]);
    }
    for (size_t i = 0; i < cli_command_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        if (strcmp(argv[1], c->group) == 0 && (!near || strcmp(near, c->name) == 0)) {
            fprintf(out, "usage: %s\n", c->usage);
        }
    }
    return help ? CLI_OK : CLI_USAGE;
}

/* A command that does not exist: the one it most likely misspells, and
 * one usage line instead of the whole overview. */
static int unknown_command(const char *word)
{
    const char *names[32];
    const char *near = cli_nearest(word, strlen(word), names, command_names(NULL, names, 32));
    if (near) {
        cli_error("unknown command '%s': did you mean '%s'?", word, near);
    } else {
        cli_error("unknown command '%s'", word);
    }
    fprintf(stderr, "usage: ota [-q|-v] COMMAND [ARGS] [--json] [--help]   (ota --help lists the commands)\n");
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    argc = take_verbosity(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("ota %s (SHA-256: %s)\n", OTA_VERSION, OTA_HASH_PORT);
        return CLI_OK;
    }
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
            return run_command(c, argc - 2, argv + 2);
        }
        if (argc >= 3 && strcmp(argv[2], c->name) == 0) {
            return run_command(c, argc - 3, argv + 3);
        }
    }
    if (group_known) {
        return group_usage(argc, argv);
    }
    return unknown_command(argv[1]);
}

/* Command-line parsing and per-command help, from each command's option table. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ota/sdkconfig.h"
#include "cli.h"

const struct cli_command *cli_current;
int cli_verbosity;

const char *cli_nearest(const char *word, size_t len, const char *const *choices, size_t count)
{
    char w[OTA_SDKCONFIG_KEY_MAX + 1];
    bool unknown;
    if (len >= sizeof(w)) {
        return NULL;
    }
    memcpy(w, word, len);
    w[len] = '\0';
    const char *near = ota_sdkconfig_unknown(w, choices, count, &unknown);
    return unknown ? near : NULL;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return true;
        }
    }
    return false;
}

/* The n-th positional argument's name in the usage line: the words after
 * the command's own, up to the first option ("ota flash write IMG LABEL
 * FILE" -> IMG, LABEL, FILE; a trailing "FILE..." repeats). */
static void positional_name(const struct cli_command *cmd, int n, char *out, size_t size)
{
    const char *p = cmd->usage;
    int skip = cmd->name ? 3 : 2, index = 0;
    size_t len = 0;
    snprintf(out, size, "argument %d", n + 1);
    while (*p) {
        p += strspn(p, " ");
        len = strcspn(p, " ");
        if (len == 0 || *p == '[' || *p == '-') {
            return;
        }
        if (skip > 0) {
            skip--;
        } else if (index++ == n || (len > 3 && strncmp(p + len - 3, "...", 3) == 0)) {
            snprintf(out, size, "%.*s", (int)len, p);
            return;
        }
        p += len;
    }
}

/* What a number option takes, for --help and for the message on a bad value. */
static const char *kind_words(int kind)
{
    switch (kind) {
    case CLI_COUNT: return "a whole number, 0 or more";
    case CLI_POSITIVE: return "a whole number, 1 or more";
    case CLI_BYTES: return "a size in bytes: 4096, 0x1000, 4K, 4KiB, 4M, 4MiB";
    case CLI_FLASH_BYTES: return "a flash size: 1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB or 128MB";
    case CLI_MILLIS: return "a duration: 500ms, 5s, 2m; a bare number counts milliseconds";
    case CLI_SECONDS: return "a duration in whole seconds: 30s, 2m, 1h; a bare number counts seconds";
    case CLI_SECONDS_MS: return "a duration: 2s, 0.5, 500ms; a bare number counts seconds";
    default: return NULL;
    }
}

static void print_option(const struct cli_opt *o, FILE *out)
{
    char head[64];
    snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(out, "  %-26s %s", head, o->help ? o->help : "");
    if (kind_words(o->kind)) {
        fprintf(out, " [%s]", kind_words(o->kind));
    }
    if (o->def) {
        fprintf(out, " (default: %s)", o->def);
    } else if (o->value && *o->value) {
        fprintf(out, " (default: %s)", *o->value);
    }
    fputc('\n', out);
}

void cli_print_help(const struct cli_command *cmd, const struct cli_opt *opts, FILE *out)
{
    fprintf(out, "usage: %s\n", cmd->usage);
    if (cmd->about) {
        fprintf(out, "\n%s\n", cmd->about);
    }
    fprintf(out, "\noptions:\n");
    for (const struct cli_opt *o = opts; o && o->name; o++) {
        print_option(o, out);
    }
    fprintf(out, "  %-26s %s\n", "-q, --quiet", "warnings and errors only on stderr, no progress display");
    fprintf(out, "  %-26s %s\n", "-v, --verbose", "debug log lines too");
    fprintf(out, "  %-26s %s\n", "-h, --help", "this text");
    fprintf(out, "\n%s", CLI_EXIT_CODES_HELP);
}

static const struct cli_opt *find_option(const struct cli_opt *opts, const char *name, size_t n)
{
    for (const struct cli_opt *o = opts; o && o->name; o++) {
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0) {
            return o;
        }
    }
    return NULL;
}

/* A number option's value as a plain decimal number in its own unit, or
 * false. */
static bool number_value(int kind, const char *v, uint64_t *n)
{
    uint32_t size;
    switch (kind) {
    case CLI_COUNT:
    case CLI_POSITIVE:
        if (!cli_parse_count(v, &size)) {
            return false;
        }
        *n = size;
        return kind == CLI_COUNT || size > 0;
    case CLI_BYTES:
    case CLI_FLASH_BYTES:
        *n = cli_parse_size(v, &size) ? size : 0;
        return *n > 0 && (kind == CLI_BYTES || cli_is_flash_size(size));
    case CLI_MILLIS:
        return cli_parse_duration_ms(v, 1, n) && *n > 0 && *n <= UINT32_MAX;
    case CLI_SECONDS:
        if (!cli_parse_duration_ms(v, 1000, n) || *n % 1000 != 0) {
            return false;
        }
        *n /= 1000;
        return *n > 0 && *n <= UINT32_MAX;
    case CLI_SECONDS_MS:
        return cli_parse_duration_ms(v, 1000, n) && *n > 0 && *n <= UINT32_MAX;
    default:
        return false;
    }
}

/* Numbers in plain decimal, valid until the next cli_parse (a command
 * parses its arguments once). */
static char plain[32][24];
static unsigned plain_used;

/* Set a value option: a number is checked and handed on in plain decimal. */
static int set_value(const struct cli_opt *o, const char *v)
{
    uint64_t n;
    if (o->kind == CLI_TEXT) {
        *o->value = v;
        return CLI_OK;
    }
    if (!number_value(o->kind, v, &n)) {
        cli_error("--%s: '%s' is not %s", o->name, v, kind_words(o->kind));
        return CLI_USAGE;
    }
    if (plain_used == sizeof(plain) / sizeof(plain[0])) {
        cli_error("--%s: too many number options", o->name);
        return CLI_USAGE;
    }
    snprintf(plain[plain_used], sizeof(plain[plain_used]), "%" PRIu64, n);
    *o->value = plain[plain_used++];
    return CLI_OK;
}

/* An option the command does not take: the one it most likely misspells,
 * and the command's usage line (not the whole help). */
static int unknown_option(const char *arg, size_t len, const struct cli_opt *opts)
{
    const char *names[64];
    size_t n = 0;
    for (const struct cli_opt *o = opts; o && o->name && n < sizeof(names) / sizeof(names[0]); o++) {
        names[n++] = o->name;
    }
    const char *near = len > 2 ? cli_nearest(arg + 2, len - 2, names, n) : NULL;
    if (near) {
        cli_error("unknown option '%.*s': did you mean '--%s'?", (int)len, arg, near);
    } else {
        cli_error("unknown option '%.*s'", (int)len, arg);
    }
    if (cli_current) {
        fprintf(stderr, "usage: %s\n", cli_current->usage);
    }
    return CLI_USAGE;
}

/* One "--name[=value]" at argv[*i]; may consume the next argument. */
static int parse_option(int argc, char **argv, int *i, const struct cli_opt *opts)
{
    const char *a = argv[*i], *name = a + 2;
    const char *eq = strchr(name, '=');
    const struct cli_opt *o = find_option(opts, name, eq ? (size_t)(eq - name) : strlen(name));
    if (!o) {
        return unknown_option(a, eq ? (size_t)(eq - a) : strlen(a), opts);
    }
    if (o->flag) {
        if (eq) {
            cli_error("option --%s takes no value", o->name);
            return CLI_USAGE;
        }
        *o->flag = true;
    } else if (eq) {
        return set_value(o, eq + 1);
    } else if (*i + 1 < argc) {
        return set_value(o, argv[++*i]);
    } else {
        cli_error("option --%s needs a value%s%s", o->name, o->arg ? ": " : "", o->arg ? o->arg : "");
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, const char **pos, int min_pos, int max_pos,
              int *npos)
{
    *npos = 0;
    plain_used = 0;
    if (cli_wants_help(argc, argv)) {
        if (cli_current) {
            cli_print_help(cli_current, opts, stdout);
        }
        return CLI_HELP_SHOWN;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            int rc = parse_option(argc, argv, &i, opts);
            if (rc) {
                return rc;
            }
        } else if (*npos >= max_pos) {
            cli_error("unexpected argument '%s'", a);
            return CLI_USAGE;
        } else {
            pos[(*npos)++] = a;
        }
    }
    if (*npos < min_pos) {
        char name[48] = "an argument";
        if (cli_current) {
            positional_name(cli_current, *npos, name, sizeof(name));
        }
        cli_error("missing argument %s", name);
        if (cli_current) {
            fprintf(stderr, "usage: %s\n", cli_current->usage);
        }
        return CLI_USAGE;
    }
    return CLI_OK;
}

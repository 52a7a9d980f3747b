/* Command-line parsing and per-command help, from each command's option table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_command *cli_current;
int cli_verbosity;

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

static void print_option(const struct cli_opt *o, FILE *out)
{
    char head[64];
    snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(out, "  %-26s %s", head, o->help ? o->help : "");
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

/* One "--name[=value]" at argv[*i]; may consume the next argument. */
static int parse_option(int argc, char **argv, int *i, const struct cli_opt *opts)
{
    const char *a = argv[*i], *name = a + 2;
    const char *eq = strchr(name, '=');
    const struct cli_opt *o = find_option(opts, name, eq ? (size_t)(eq - name) : strlen(name));
    if (!o) {
        cli_error("unknown option '%s' (see --help)", a);
        return CLI_USAGE;
    }
    if (o->flag) {
        if (eq) {
            cli_error("option --%s takes no value", o->name);
            return CLI_USAGE;
        }
        *o->flag = true;
    } else if (eq) {
        *o->value = eq + 1;
    } else if (*i + 1 < argc) {
        *o->value = argv[++*i];
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

/* The option layer of the `ota` tool: NUL-separated arguments against a
 * table with every kind of option. Whatever it is given, cli_parse answers
 * OK or usage, and every number it accepts reaches the command as a plain
 * decimal within the option's bounds. */
#include <stdlib.h>

#include "fuzz_common.h"
#include "../../src/cli/cli.h"

#define MAX_ARGS 32

static void check_plain(const char *v, unsigned long long lo, unsigned long long hi)
{
    char *end;
    if (!v) {
        return;
    }
    unsigned long long n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || n < lo || n > hi) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[4097];
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    if (size >= sizeof(buf)) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *p = buf; p <= buf + size && argc < MAX_ARGS;) {
        argv[argc++] = p;
        p += strlen(p) + 1;
    }
    argv[argc] = NULL;
    const char *text = NULL, *count = NULL, *pos_n = NULL, *bytes = NULL, *flash = NULL, *ms = NULL, *s = NULL,
               *s_ms = NULL, *pos[3];
    bool flag = false;
    struct cli_opt opts[] = {
        CLI_VALUE("text", &text, "T", "text"),
        CLI_NUMBER("count", &count, CLI_COUNT, "N", "count", NULL),
        CLI_NUMBER("positive", &pos_n, CLI_POSITIVE, "N", "positive", NULL),
        CLI_NUMBER("bytes", &bytes, CLI_BYTES, "BYTES", "bytes", NULL),
        CLI_NUMBER("flash", &flash, CLI_FLASH_BYTES, "SIZE", "flash", NULL),
        CLI_NUMBER("ms", &ms, CLI_MILLIS, "MS", "ms", NULL),
        CLI_NUMBER("s", &s, CLI_SECONDS, "S", "s", NULL),
        CLI_NUMBER("s-ms", &s_ms, CLI_SECONDS_MS, "S", "s as ms", NULL),
        CLI_FLAG("flag", &flag, "flag"),
        CLI_END};
    int npos;
    int rc = cli_parse(argc, argv, opts, pos, 0, 3, &npos);
    if (rc != CLI_OK && rc != CLI_USAGE && rc != CLI_HELP_SHOWN) {
        __builtin_trap();
    }
    if (rc == CLI_OK) {
        check_plain(count, 0, UINT32_MAX);
        check_plain(pos_n, 1, UINT32_MAX);
        check_plain(bytes, 1, UINT32_MAX);
        check_plain(flash, 1u << 20, 128u << 20);
        check_plain(ms, 1, UINT32_MAX);
        check_plain(s, 1, UINT32_MAX);
        check_plain(s_ms, 1, UINT32_MAX);
    }
    return 0;
}

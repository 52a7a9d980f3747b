/* The exit status of `ota`: one meaning each, so a pipeline can branch on it
 * without reading the output. Documented in `ota --help` and the README. */
#ifndef OTA_CLI_EXIT_CODES_H
#define OTA_CLI_EXIT_CODES_H

#define CLI_OK 0          /* success */
#define CLI_FAIL 1        /* the operation failed; an update that fails leaves the device running what it ran */
#define CLI_USAGE 2       /* bad usage: unknown option, missing argument, bad value */
#define CLI_POWER_CUT 3   /* emulated power cut (--power-cut-at): the device is off mid-operation */
#define CLI_UP_TO_DATE 4  /* nothing to do: every item was refused as not newer than what the device has */
#define CLI_BUSY 5        /* the device is busy: its running app is still on trial (a new OTA waits for
                             the self-test), or another process holds the device */

/* One line per code, for --help. */
#define CLI_EXIT_CODES_HELP                                                                            \
    "exit status:\n"                                                                                   \
    "  0  success\n"                                                                                   \
    "  1  the operation failed (a failed update leaves the device running the app it ran)\n"          \
    "  2  bad usage (unknown option, missing argument, bad value)\n"                                   \
    "  3  emulated power cut (--power-cut-at): the device is off\n"                                    \
    "  4  nothing to do: already up to date (every item was not newer)\n"                             \
    "  5  device busy: the running app is still on trial, or another process holds the device\n"

/* The exit status for an operation that ended with ota error err. */
int cli_exit_for_err(int err);

#endif

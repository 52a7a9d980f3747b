/* ota key new|pub|digest: Secure Boot V2 keys as espsecure.py makes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ota/error.h"
#include "ota/host_sign.h"
#include "cli.h"
#include "commands.h"
#include "image_report.h"

static const char *const scheme_names[] = {"rsa3072", "ecdsa256", "ecdsa384"};

/* A private key is its owner's only (0600) and never overwrites a file. */
static int write_private(const char *path, const char *pem)
{
    size_t len = strlen(pem);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        if (errno == EEXIST) {
            cli_error("%s already exists: a key is never overwritten (remove it first)", path);
        } else {
            cli_error("cannot create %s: %s", path, strerror(errno));
        }
        return CLI_FAIL;
    }
    bool ok = write(fd, pem, len) == (ssize_t)len && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        cli_error("cannot write %s: %s", path, strerror(e));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_key_new(int argc, char **argv)
{
    const char *pos[1], *scheme_s = "rsa3072";
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE("scheme", &scheme_s, "S", "rsa3072, ecdsa256 or ecdsa384 (the schemes Secure Boot V2 takes; the "
                  "emulated chips and release manifests sign with rsa3072 or ecdsa256)"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    unsigned scheme = 0;
    while (scheme < 3 && strcmp(scheme_s, scheme_names[scheme]) != 0) {
        scheme++;
    }
    if (scheme == 3) {
        const char *near = cli_nearest(scheme_s, strlen(scheme_s), scheme_names, 3);
        cli_error("--scheme: '%s' is not rsa3072, ecdsa256 or ecdsa384%s%s%s", scheme_s, near ? ": did you mean '" : "",
                  near ? near : "", near ? "'?" : "");
        return CLI_USAGE;
    }
    static char pem[16384];
    int err = ota_host_key_new((enum ota_key_scheme)scheme, pem, sizeof(pem));
    if (err) {
        cli_error("making a %s key: %s", scheme_s, ota_strerror(err));
        return CLI_FAIL;
    }
    rc = write_private(pos[0], pem);
    memset(pem, 0, sizeof(pem));
    if (!rc) {
        printf("made a %s private key in %s (ota key pub %s PUB.pem gives its public half)\n", scheme_s, pos[0],
               pos[0]);
    }
    return rc;
}

int cmd_key_pub(int argc, char **argv)
{
    const char *pos[2];
    int npos, rc;
    struct cli_opt opts[] = {CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 2, 2, &npos))) {
        return rc;
    }
    if (!cli_key_usable(pos[0], false)) {
        return CLI_FAIL;
    }
    static char pem[8192];
    int err = ota_host_key_public_pem(pos[0], pem, sizeof(pem));
    if (err) {
        cli_error("%s: not a PEM key this tool reads (RSA or EC)", pos[0]);
        return CLI_FAIL;
    }
    if ((rc = cli_write_file(pos[1], pem, strlen(pem))) == CLI_OK) {
        printf("wrote the public key of %s to %s\n", pos[0], pos[1]);
    }
    return rc;
}

int cmd_key_digest(int argc, char **argv)
{
    const char *pos[1], *out = NULL;
    int npos, rc;
    struct cli_opt opts[] = {
        CLI_VALUE_D("out", &out, "FILE", "also write the 32 bytes to FILE (as espsecure's -o)", "none"),
        CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    if (!cli_key_usable(pos[0], false)) {
        return CLI_FAIL;
    }
    uint8_t digest[32];
    unsigned version;
    if (ota_host_key_scheme(pos[0], &version) || ota_host_key_digest(pos[0], digest)) {
        cli_error("%s: not an RSA-3072 or ECDSA P-256 key: Secure Boot V2 digests here are for those "
                  "(ECDSA-384 is not supported by this tool's signature blocks)", pos[0]);
        return CLI_FAIL;
    }
    if (out && (rc = cli_write_file(out, digest, sizeof(digest)))) {
        return rc;
    }
    cli_print_hex(digest, sizeof(digest));
    printf("\n");
    return CLI_OK;
}

/* ota status: what the device keeps about its last server-driven update,
 * the DDI pending-action record beside the image (IMG.ddi). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ota/error.h"
#include "ota/host_ddi.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static void print_text(const struct ota_ddi_record *r)
{
    printf("DDI action %s: %s\n", r->action_id, ota_ddi_record_state_name(r->state));
    printf("  installed: %s (%u bytes, SHA-256 ", r->version, (unsigned)r->size);
    for (unsigned i = 0; i < OTA_SHA256_LEN; i++) {
        printf("%02x", r->sha256[i]);
    }
    printf(") in %s\n", r->slot[0] ? r->slot : "(no app)");
    if (r->state == OTA_DDI_RECORD_INSTALLED) {
        printf("  outcome: not known yet (judged at the next poll)\n");
    } else {
        printf("  outcome: %s: %s%s\n", r->success ? "success" : "failure", r->reason,
               r->state == OTA_DDI_RECORD_REPORTED ? " (reported to the server)" : " (to be reported at the next poll)");
    }
}

static void print_json(const struct ota_ddi_record *r, bool have)
{
    struct json j;
    json_begin(&j, stdout);
    if (!have) {
        json_null(&j, "ddi");
        json_end(&j);
        return;
    }
    json_object(&j, "ddi");
    json_str(&j, "action", r->action_id);
    json_str(&j, "state", ota_ddi_record_state_name(r->state));
    json_str(&j, "version", r->version);
    json_str(&j, "slot", r->slot);
    json_uint(&j, "size", r->size);
    json_hex(&j, "sha256", r->sha256, OTA_SHA256_LEN);
    if (r->state == OTA_DDI_RECORD_INSTALLED) {
        json_null(&j, "success");
        json_null(&j, "reason");
    } else {
        json_bool(&j, "success", r->success);
        json_str(&j, "reason", r->reason);
    }
    json_bool(&j, "reported", r->state == OTA_DDI_RECORD_REPORTED);
    json_close(&j);
    json_end(&j);
}

int cmd_status(int argc, char **argv)
{
    const char *pos[1];
    bool as_json = false;
    int npos, rc;
    struct ota_ddi_record r;
    struct stat st;
    struct cli_opt opts[] = {CLI_JSON(&as_json), CLI_END};
    if ((rc = cli_parse(argc, argv, opts, pos, 1, 1, &npos))) {
        return rc;
    }
    if (stat(pos[0], &st) != 0) {
        cli_error("%s: no such device image", pos[0]);
        return CLI_FAIL;
    }
    int err = ota_host_ddi_record_load((void *)pos[0], &r);
    if (err && err != OTA_ERR_NOT_FOUND) {
        cli_error("%s.ddi: %s", pos[0], ota_strerror(err));
        return CLI_FAIL;
    }
    if (!err && r.state == OTA_DDI_RECORD_NONE) {
        err = OTA_ERR_NOT_FOUND;  /* only the digest of the attributes the server took */
    }
    if (as_json) {
        print_json(&r, !err);
    } else if (err) {
        printf("no server-driven update recorded on this device\n");
    } else {
        print_text(&r);
    }
    return CLI_OK;
}

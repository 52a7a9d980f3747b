/* ota run --ddi: settings from the command line, the record beside the
 * device image (IMG.ddi), one poll, and the restart's outcome. */
#include <stdio.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_ddi.h"
#include "ota/log.h"
#include "cli.h"
#include "exit_codes.h"
#include "run_ddi.h"

static const char *TAG = "OTA_DDI";

bool run_ddi_args_ok(const struct run_ddi_args *a, bool other_items)
{
    if (!a->url) {
        if (a->tenant || a->controller_id || a->token || a->gateway_token) {
            cli_error("--tenant, --controller-id, --token and --gateway-token go with --ddi URL");
            return false;
        }
        return true;
    }
    if (other_items) {
        cli_error("--ddi lets the server name what to install: give no --app or --data with it (--manifest is the "
                  "fallback when the server deploys nothing)");
        return false;
    }
    if (!a->controller_id || !a->controller_id[0]) {
        cli_error("--ddi needs --controller-id ID (this device's name on the server)");
        return false;
    }
    const char *ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    const char *tenant = a->tenant ? a->tenant : "DEFAULT";
    if (!tenant[0] || strspn(tenant, ok) != strlen(tenant) || strspn(a->controller_id, ok) != strlen(a->controller_id)) {
        cli_error("--tenant '%s' --controller-id '%s': letters, digits, '-', '_' and '.' only (they are part of the "
                  "server's URIs)", tenant, a->controller_id);
        return false;
    }
    if (a->token && a->gateway_token) {
        cli_error("--token and --gateway-token are two ways to authenticate: give one");
        return false;
    }
    return true;
}

/* The "ddi" section of `ota run --json`: what this poll did and what the
 * record keeps for the next one. */
static void run_ddi_json(struct json *j, const void *ctx)
{
    const struct run_ddi *d = ctx;
    const struct ota_ddi_result *res = &d->res;
    const struct ota_ddi_record *r = &d->client.rec;
    bool rec = d->client.have_rec;
    int err = d->poll_err ? d->poll_err : res->err;
    json_object(j, "ddi");
    json_bool(j, "server_reached", res->reached);
    json_str(j, "action", res->dep.action_id[0] ? res->dep.action_id : rec ? r->action_id : NULL);
    json_str(j, "execution", res->execution);  /* the last deploymentBase feedback the server took */
    json_str(j, "result", res->finished);
    json_bool(j, "outcome_reported", res->reported);
    if (rec && r->state != OTA_DDI_RECORD_INSTALLED) {
        json_object(j, "outcome");
        json_str(j, "action", r->action_id);
        json_bool(j, "success", r->success);
        json_str(j, "reason", r->reason);
        json_close(j);
    } else {
        json_null(j, "outcome");
    }
    json_bool(j, "final_report_pending",
              rec && (r->state == OTA_DDI_RECORD_INSTALLED || r->state == OTA_DDI_RECORD_OUTCOME));
    json_bool(j, "waiting", res->waiting);
    json_bool(j, "config_sent", res->config_sent);
    json_bool(j, "manifest_ran", d->manifest_ran);
    json_str(j, "error", err ? ota_errname(err) : NULL);
    json_close(j);
}

int run_ddi_poll(struct run_ddi *d, const struct run_ddi_args *a, const char *image, const char *ca_pem,
                 struct ota_host_transport *ht, struct ota_service *svc, struct run_report *rep)
{
    struct ota_ddi_config c;
    memset(&c, 0, sizeof(c));
    c.server = a->url;
    c.tenant = a->tenant ? a->tenant : "DEFAULT";
    c.controller_id = a->controller_id;
    c.cert_pem = ca_pem;
    c.record_load = ota_host_ddi_record_load;
    c.record_save = ota_host_ddi_record_save;
    c.record_ctx = (void *)image;
    int err = ota_ddi_init(&d->client, &c);
    if (err) {
        cli_error("--ddi %s: %s", a->url, ota_strerror(err));
        d->poll_err = err;
        d->polled = true;
        d->unusable = true;  /* a setting, not the server: no fallback hides it */
        return CLI_USAGE;
    }
    const char *token = a->token ? a->token : a->gateway_token;
    if (token) {
        snprintf(d->auth, sizeof(d->auth), "%s %s", a->token ? "TargetToken" : "GatewayToken", token);
        ht->cfg.authorization = d->auth;
        ht->cfg.authorization_scope = a->url;  /* artifact links elsewhere never see it */
    }
    rep->items = d->client.items;
    rep->count = OTA_DDI_MAX_ITEMS;
    rep->ddi_json = run_ddi_json;
    rep->ddi_ctx = d;
    d->polled = true;
    d->poll_err = ota_ddi_poll(&d->client, svc, &d->res);
    rep->count = d->res.ran && !(d->res.err == OTA_ERR_ACTIVATION_DEFERRED && d->res.waiting) ? d->res.dep.count : 0;
    OTA_LOGI(TAG, "poll: %s; next poll in %u s%s%s%s", d->poll_err ? ota_strerror(d->poll_err) : "ok",
             (unsigned)d->res.sleep_s, d->res.reported ? "; outcome reported" : "",
             d->res.cancelled ? "; cancel acknowledged" : "", d->res.cancel_refused ? "; cancel refused" : "");
    if (d->poll_err) {
        cli_error("DDI server %s: %s", a->url, ota_strerror(d->poll_err));
    }
    return CLI_OK;
}

bool run_ddi_manifest_turn(struct run_ddi *d)
{
    const char *url = d->client.cfg.server;
    if (d->unusable) {
        return false;
    }
    switch (ota_ddi_manifest_turn(&d->client, &d->res)) {
    case OTA_DDI_MANIFEST_RUN_UNREACHABLE:
        OTA_LOGW(TAG, "DDI server %s unreachable or unusable (%s): the release manifest instead", url,
                 ota_strerror(d->poll_err ? d->poll_err : OTA_ERR_DDI_NO_API));
        d->fell_back = d->manifest_ran = true;
        return true;
    case OTA_DDI_MANIFEST_SKIP_DEPLOYED:
        OTA_LOGI(TAG, "the DDI server deployed action %s: the release manifest is not read this time",
                 d->res.dep.action_id[0] ? d->res.dep.action_id : "(refused)");
        return false;
    case OTA_DDI_MANIFEST_SKIP_PENDING:
        OTA_LOGI(TAG, "DDI action %s waits for its restart or trial: the release manifest is not read this time",
                 d->client.rec.action_id);
        return false;
    case OTA_DDI_MANIFEST_SKIP_RECORD:
        OTA_LOGW(TAG, "the DDI pending-action record is unreadable: the release manifest is not read this time");
        return false;
    case OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED:
        break;
    }
    OTA_LOGI(TAG, "the DDI server has no deployment for this device: the release manifest");
    d->manifest_ran = true;
    return true;
}

/* Why the device runs what it runs after the restart. */
static void judge(struct ota_ddi_record *r, bool restarted, const struct cli_boot_report *boot)
{
    const struct cli_boot_fact *last = boot->boots ? &boot->boot[boot->boots - 1] : NULL;
    const char *why;
    r->success = false;
    if (!restarted || !last) {
        why = "did not boot: no app runs after the restart";
    } else if (boot->boots > 1) {
        why = "rolled back: self-test failed";
    } else if (strcmp(last->label, r->slot) != 0 || last->fell_back) {
        why = "rolled back: the new app did not boot";
    } else {
        r->success = true;
        why = last->trial ? "trial boot: self-test passed, app confirmed" : "booted the new app";
    }
    snprintf(r->reason, sizeof(r->reason), "%s", why);
    r->state = OTA_DDI_RECORD_OUTCOME;
}

void run_ddi_after_restart(struct run_ddi *d, const char *image, bool restarted, const struct cli_boot_report *boot)
{
    struct ota_ddi_record *r = &d->client.rec;
    if (!d->polled || !d->res.installed || r->state != OTA_DDI_RECORD_INSTALLED) {
        return;
    }
    if (restarted && boot->self_test && strcmp(boot->self_test, "skip") == 0) {
        return;  /* still on trial: the outcome is judged at the next poll */
    }
    judge(r, restarted, boot);
    int err = ota_host_ddi_record_save((void *)image, r);
    if (err) {
        cli_error("%s.ddi: %s", image, ota_strerror(err));
    }
    OTA_LOGI(TAG, "action %s: %s; reported at the next poll", r->action_id, r->reason);
}

int run_ddi_status(const struct run_ddi *d, int status)
{
    if (!d->polled) {
        return status;
    }
    if (d->poll_err && !d->fell_back) {
        return status == CLI_POWER_CUT ? status : CLI_FAIL;
    }
    if (d->res.err == OTA_ERR_DDI_CANCELLED) {
        return CLI_FAIL;
    }
    return status;
}

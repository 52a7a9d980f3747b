/*
 * The DDI client's poll: the controller resource and its links, the final
 * report of an earlier action, cancelAction, configData; the install itself
 * is in ddi_install.c. Every request goes through the transport's exchange
 * with a bounded body each way.
 */
#include <string.h>

#include "ddi_internal.h"
#include "../service/item_stream.h"
#include "ota/error.h"
#include "ota/log.h"
#include "ota/otadata.h"

static const char *TAG = "OTA_DDI";

/* ---- bounded text ----------------------------------------------------------- */

void ota_ddi_text_init(struct ota_ddi_text *t, char *buf, size_t cap)
{
    t->p = buf;
    t->cap = cap;
    t->len = 0;
    t->over = cap == 0;
    if (cap) {
        buf[0] = '\0';
    }
}

static void put_char(struct ota_ddi_text *t, char c)
{
    if (t->over || t->len + 1 >= t->cap) {
        t->over = true;
        return;
    }
    t->p[t->len++] = c;
    t->p[t->len] = '\0';
}

void ota_ddi_put(struct ota_ddi_text *t, const char *s)
{
    while (*s) {
        put_char(t, *s++);
    }
}

void ota_ddi_put_json_string(struct ota_ddi_text *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put_char(t, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            put_char(t, '\\');
            put_char(t, (char)c);
        } else if (c < 0x20 || c > 0x7E) {
            ota_ddi_put(t, "\\u00");
            put_char(t, hex[c >> 4]);
            put_char(t, hex[c & 15]);
        } else {
            put_char(t, (char)c);
        }
    }
    put_char(t, '"');
}

void ota_ddi_put_u64(struct ota_ddi_text *t, uint64_t v)
{
    char d[21];
    unsigned n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        put_char(t, d[--n]);
    }
}

void ota_ddi_put_hex(struct ota_ddi_text *t, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        put_char(t, hex[b[i] >> 4]);
        put_char(t, hex[b[i] & 15]);
    }
}

/* ---- requests ----------------------------------------------------------------- */

static int exchange(struct ota_ddi_client *c, const char *method, const char *uri, const char *body)
{
    const struct ota_transport *tr = c->svc->cfg.transport;
    struct ota_http_exchange x;
    const char *scheme;
    if (ota_uri_scheme(uri, &scheme) || strcmp(scheme, "file") == 0) {
        return OTA_ERR_URI;
    }
    if (strcmp(scheme, "http") == 0 && !c->svc->cfg.allow_plain_http) {
        OTA_LOGE(TAG, "%s %s: plain http is forbidden by configuration", method, uri);
        return OTA_ERR_INSECURE;
    }
    memset(&x, 0, sizeof(x));
    x.method = method;
    x.uri = uri;
    x.cert_pem = c->cfg.cert_pem;
    x.body = body;
    x.body_len = body ? strlen(body) : 0;
    x.resp = c->body;
    x.resp_cap = sizeof(c->body);
    int err = tr->exchange(tr->ctx, &x);
    c->body_len = err ? 0 : x.resp_len;
    c->status = x.status;
    if (err) {
        OTA_LOGE(TAG, "%s %s: %s (HTTP %ld)", method, uri, ota_strerror(err), x.status);
    }
    return err;
}

int ota_ddi_get(struct ota_ddi_client *c, const char *uri, struct ota_json *j)
{
    int err = exchange(c, "GET", uri, NULL);
    if (!err && (err = ota_json_parse(j, c->body, c->body_len, c->tok, OTA_DDI_TOKENS_MAX))) {
        OTA_LOGE(TAG, "GET %s: %s", uri, ota_strerror(err));
    }
    return err;
}

/* {base}/{resource}/{id}/feedback into c->uri. */
static int feedback_uri(struct ota_ddi_client *c, const char *resource, const char *id)
{
    struct ota_ddi_text t;
    ota_ddi_text_init(&t, c->uri, sizeof(c->uri));
    ota_ddi_put(&t, c->base);
    ota_ddi_put(&t, "/");
    ota_ddi_put(&t, resource);
    ota_ddi_put(&t, "/");
    ota_ddi_put(&t, id);
    ota_ddi_put(&t, "/feedback");
    return t.over ? OTA_ERR_TOO_LONG : OTA_OK;
}

/* The feedback body; a progress count (of > 0) goes into the result as
 * hawkBit's {"cnt", "of"}. */
static int feedback_body(struct ota_ddi_client *c, const char *action_id, const char *execution, const char *finished,
                         unsigned cnt, unsigned of, const char *detail1, const char *detail2)
{
    struct ota_ddi_text t;
    ota_ddi_text_init(&t, c->req, sizeof(c->req));
    ota_ddi_put(&t, "{\"id\":");
    ota_ddi_put_json_string(&t, action_id);
    ota_ddi_put(&t, ",\"status\":{\"execution\":");
    ota_ddi_put_json_string(&t, execution);
    ota_ddi_put(&t, ",\"result\":{\"finished\":");
    ota_ddi_put_json_string(&t, finished);
    if (of) {
        ota_ddi_put(&t, ",\"progress\":{\"cnt\":");
        ota_ddi_put_u64(&t, cnt);
        ota_ddi_put(&t, ",\"of\":");
        ota_ddi_put_u64(&t, of);
        ota_ddi_put(&t, "}");
    }
    ota_ddi_put(&t, "},\"details\":[");
    if (detail1) {
        ota_ddi_put_json_string(&t, detail1);
    }
    if (detail2) {
        ota_ddi_put(&t, ",");
        ota_ddi_put_json_string(&t, detail2);
    }
    ota_ddi_put(&t, "]}}");
    return t.over ? OTA_ERR_TOO_LONG : OTA_OK;
}

static int post_feedback(struct ota_ddi_client *c, const char *resource, const char *action_id, const char *execution,
                         const char *finished, unsigned cnt, unsigned of, const char *detail1, const char *detail2)
{
    int err = feedback_uri(c, resource, action_id);
    if (err || (err = feedback_body(c, action_id, execution, finished, cnt, of, detail1, detail2))) {
        return err;
    }
    OTA_LOGI(TAG, "feedback %s %s: %s/%s%s%s", resource, action_id, execution, finished, detail1 ? ": " : "",
             detail1 ? detail1 : "");
    if ((err = exchange(c, "POST", c->uri, c->req)) == OTA_OK && strcmp(resource, "deploymentBase") == 0) {
        c->res->execution = execution;  /* what the server last took for this action */
        c->res->finished = finished;
    }
    return err;
}

int ota_ddi_feedback(struct ota_ddi_client *c, const char *resource, const char *action_id, const char *execution,
                     const char *finished, const char *detail1, const char *detail2)
{
    return post_feedback(c, resource, action_id, execution, finished, 0, 0, detail1, detail2);
}

int ota_ddi_progress(struct ota_ddi_client *c, const char *action_id, unsigned cnt, unsigned of, const char *detail)
{
    return post_feedback(c, "deploymentBase", action_id, "proceeding", "none", cnt, of, detail, NULL);
}

/* ---- the controller resource ---------------------------------------------------- */

/* "HH:MM:SS" into seconds. */
static int parse_sleep(const struct ota_json *j, int idx, uint32_t *s)
{
    char v[12];
    unsigned f[3] = {0, 0, 0};
    if (ota_json_string(j, idx, v, sizeof(v)) || strlen(v) != 8 || v[2] != ':' || v[5] != ':') {
        return OTA_ERR_DDI_FIELD;
    }
    for (unsigned k = 0; k < 3; k++) {
        char a = v[3 * k], b = v[3 * k + 1];
        if (a < '0' || a > '9' || b < '0' || b > '9') {
            return OTA_ERR_DDI_FIELD;
        }
        f[k] = (unsigned)(a - '0') * 10u + (unsigned)(b - '0');
    }
    if (f[1] > 59 || f[2] > 59) {
        return OTA_ERR_DDI_FIELD;
    }
    *s = f[0] * 3600u + f[1] * 60u + f[2];
    return OTA_OK;
}

/* A link's href, or "" when the server gives none. */
static int get_link(const struct ota_json *j, const char *name, char *out)
{
    char path[48] = "_links.";
    size_t n = strlen(name);
    memcpy(path + 7, name, n);
    memcpy(path + 7 + n, ".href", sizeof(".href"));
    int idx = ota_json_path(j, 0, path);
    out[0] = '\0';
    if (idx < 0) {
        return ota_json_member(j, ota_json_member(j, 0, "_links"), name) < 0 ? OTA_OK : OTA_ERR_DDI_FIELD;
    }
    if (j->tok[idx].type == OTA_JSON_STRING && j->tok[idx].len >= OTA_DDI_URI_MAX) {
        return OTA_ERR_TOO_LONG;
    }
    return ota_json_string(j, idx, out, OTA_DDI_URI_MAX);
}

enum { LINK_DEPLOY, LINK_CONFIRM, LINK_INSTALLED };

/* The action's link: deploymentBase; else confirmationBase (an action that
 * waits for the device's consent); else installedBase (the last one done). */
static int action_link(struct ota_ddi_client *c, const struct ota_json *j)
{
    static const char *const names[] = {"deploymentBase", "confirmationBase", "installedBase"};
    int err = OTA_OK;
    c->deploy_uri[0] = '\0';
    for (unsigned k = 0; k < 3 && !err && !c->deploy_uri[0]; k++) {
        c->deploy_link = (uint8_t)k;
        err = get_link(j, names[k], c->deploy_uri);
    }
    return err;
}

static int read_base(struct ota_ddi_client *c)
{
    struct ota_json j;
    int err = ota_ddi_get(c, c->base, &j);
    if (err) {
        return err;
    }
    int sleep = ota_json_path(&j, 0, "config.polling.sleep");
    if (j.tok[0].type != OTA_JSON_OBJECT || (sleep >= 0 && (err = parse_sleep(&j, sleep, &c->res->sleep_s))) ||
        (err = action_link(c, &j)) || (err = get_link(&j, "cancelAction", c->cancel_uri)) ||
        (err = get_link(&j, "configData", c->config_uri))) {
        err = err ? err : OTA_ERR_DDI_FIELD;
        OTA_LOGE(TAG, "%s: %s", c->base, ota_strerror(err));
    }
    return err;
}

/* ---- the record of an earlier action ------------------------------------------- */

static int save_record(struct ota_ddi_client *c)
{
    int err = c->cfg.record_save ? c->cfg.record_save(c->cfg.record_ctx, &c->rec) : OTA_OK;
    if (err) {
        OTA_LOGE(TAG, "cannot keep the record of action %s: %s", c->rec.action_id, ota_strerror(err));
    }
    return err;
}

static int load_record(struct ota_ddi_client *c)
{
    memset(&c->rec, 0, sizeof(c->rec));
    c->have_rec = false;
    int err = c->cfg.record_load ? c->cfg.record_load(c->cfg.record_ctx, &c->rec) : OTA_ERR_NOT_FOUND;
    if (err == OTA_ERR_NOT_FOUND) {
        return OTA_OK;
    }
    if (err) {
        OTA_LOGE(TAG, "the pending-action record: %s", ota_strerror(err));
        return err;
    }
    c->have_rec = c->rec.state != OTA_DDI_RECORD_NONE;  /* "none": the attributes' digest only */
    return OTA_OK;
}

/* The image the record names, read back from the running slot. */
void ota_ddi_record_judge(struct ota_ddi_client *c, struct ota_ddi_record *rec)
{
    struct ota_service *svc = c->svc;
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256_ctx sha;
    int err = strcmp(svc->running->label, rec->slot) == 0 && rec->size <= svc->running->size ? OTA_OK : OTA_ERR_NOT_FOUND;
    ota_sha256_init(&sha);
    for (uint32_t off = 0; !err && off < rec->size;) {
        uint32_t n = rec->size - off < sizeof(svc->work.buf) ? rec->size - off : (uint32_t)sizeof(svc->work.buf);
        err = ota_flash_read(svc->cfg.flash, svc->running->offset + off, svc->work.buf, n);
        ota_sha256_update(&sha, svc->work.buf, n);
        off += n;
    }
    ota_sha256_finish(&sha, digest);
    rec->success = !err && memcmp(digest, rec->sha256, OTA_SHA256_LEN) == 0;
    struct ota_ddi_text t;
    ota_ddi_text_init(&t, rec->reason, sizeof(rec->reason));  /* bounded: a reason never runs over */
    ota_ddi_put(&t, rec->success ? "the installed app runs" : "not running the installed app (rolled back or not switched)");
    rec->state = OTA_DDI_RECORD_OUTCOME;
}

/* The outcome is not known yet: the new app is selected but the restart
 * has not come, or it runs on trial (PENDING_VERIFY) and its self-test has
 * not ended. */
static bool outcome_pending(struct ota_ddi_client *c)
{
    struct ota_service *svc = c->svc;
    const struct ota_partition *next = ota_running_partition(svc->cfg.flash, &svc->dev.table);
    const struct ota_partition *od_part = ota_pt_find(&svc->dev.table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    struct ota_otadata od;
    bool runs = strcmp(svc->running->label, c->rec.slot) == 0;
    if (next && strcmp(next->label, c->rec.slot) == 0 && !runs) {
        OTA_LOGI(TAG, "action %s: %s is selected, the restart into it has not happened yet", c->rec.action_id,
                 c->rec.slot);
        return true;
    }
    if (runs && od_part && ota_otadata_read(svc->cfg.flash, od_part, &od) == OTA_OK) {
        int active = ota_otadata_active(&od);
        if (active >= 0 && od.copy[active].state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGI(TAG, "action %s: the new app runs on trial: reported once it is confirmed or rolled back",
                     c->rec.action_id);
            return true;
        }
    }
    return false;
}

/* An outcome the server has not taken yet: send it until it does. */
static int report_outcome(struct ota_ddi_client *c)
{
    if (!c->have_rec || c->rec.state == OTA_DDI_RECORD_REPORTED) {
        return OTA_OK;
    }
    if (c->rec.state == OTA_DDI_RECORD_INSTALLED) {
        if (outcome_pending(c)) {
            return OTA_OK;  /* judged after the restart, or the trial */
        }
        ota_ddi_record_judge(c, &c->rec);
        save_record(c);
    }
    int err = ota_ddi_feedback(c, "deploymentBase", c->rec.action_id, "closed", c->rec.success ? "success" : "failure",
                               c->rec.reason, c->rec.version);
    if (err == OTA_ERR_HTTP_STATUS && (c->status == 404 || c->status == 410)) {
        /* the server no longer knows the action: nobody will ever take it */
        OTA_LOGW(TAG, "action %s: the server does not know it any more (HTTP %ld): outcome kept, not resent",
                 c->rec.action_id, c->status);
        err = OTA_OK;
    }
    if (err) {
        return err;  /* kept: sent again at the next poll */
    }
    c->rec.state = OTA_DDI_RECORD_REPORTED;
    c->res->reported = true;
    return save_record(c);
}

/* ---- cancelAction, configData ----------------------------------------------------- */

static int answer_cancel(struct ota_ddi_client *c)
{
    struct ota_json j;
    char id[OTA_DDI_ID_MAX + 1], stop[OTA_DDI_ID_MAX + 1];
    int err = ota_ddi_get(c, c->cancel_uri, &j);
    if (err || (err = ota_ddi_get_id(&j, ota_json_member(&j, 0, "id"), id)) ||
        (err = ota_ddi_get_id(&j, ota_json_path(&j, 0, "cancelAction.stopId"), stop))) {
        OTA_LOGE(TAG, "cancelAction %s: %s", c->cancel_uri, ota_strerror(err));
        return err;
    }
    if (c->have_rec && strcmp(c->rec.action_id, stop) == 0) {
        /* the switch is made: the new app's outcome is the action's end */
        err = ota_ddi_feedback(c, "cancelAction", id, "rejected", "none",
                               "too late to cancel: the update is installed and the device switched to it",
                               c->rec.slot);
        c->res->cancel_refused = !err;
        return err;
    }
    err = ota_ddi_feedback(c, "cancelAction", id, "closed", "success",
                           "cancelled before the switch: the running app stays", NULL);
    c->res->cancelled = !err;
    return err;
}

static void put_attr(struct ota_ddi_text *t, const char *key, const char *value, bool first)
{
    ota_ddi_put(t, first ? "" : ",");
    ota_ddi_put_json_string(t, key);
    ota_ddi_put(t, ":");
    ota_ddi_put_json_string(t, value);
}

/* "vMAJOR.MINOR" of a chip revision kept as major * 100 + minor. */
static void put_rev(struct ota_ddi_text *t, unsigned rev)
{
    ota_ddi_put(t, "v");
    ota_ddi_put_u64(t, rev / 100u);
    ota_ddi_put(t, ".");
    ota_ddi_put_u64(t, rev % 100u);
}

/* SHA-256 of the partition table as it stands in flash (its whole region). */
static void put_table_digest(struct ota_ddi_client *c, struct ota_ddi_text *t)
{
    struct ota_service *svc = c->svc;
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < OTA_PT_LEN; off += 0x400u) {
        if (ota_flash_read(svc->cfg.flash, OTA_PT_OFFSET + off, svc->work.buf, 0x400u)) {
            return;  /* unreadable: the attribute is left out */
        }
        ota_sha256_update(&sha, svc->work.buf, 0x400u);
    }
    ota_sha256_finish(&sha, digest);
    ota_ddi_put(t, ",\"partition_table_sha256\":\"");
    ota_ddi_put_hex(t, digest, OTA_SHA256_LEN);
    ota_ddi_put(t, "\"");
}

/* The device's attributes as a configData body in c->req (values are
 * strings, as DDI wants them). */
static int config_body(struct ota_ddi_client *c)
{
    struct ota_image_info info, *run = &info;
    struct ota_ddi_text t, n;
    char num[12], rev[16];
    int err = ota_item_running_base(c->svc, run);
    ota_ddi_text_init(&n, num, sizeof(num));
    ota_ddi_put_u64(&n, run->has_desc ? run->desc.secure_version : 0);
    ota_ddi_text_init(&n, rev, sizeof(rev));
    put_rev(&n, c->svc->cfg.chip_rev);
    ota_ddi_text_init(&t, c->req, sizeof(c->req));
    ota_ddi_put(&t, "{\"mode\":\"merge\",\"data\":{");
    put_attr(&t, "chip", ota_chip_name(c->svc->cfg.chip_id), true);
    put_attr(&t, "chip_revision", rev, false);
    put_attr(&t, "running_slot", c->svc->running->label, false);
    if (!err && run->has_desc) {
        put_attr(&t, "project", run->desc.project_name, false);
        put_attr(&t, "version", run->desc.version, false);
        put_attr(&t, "secure_version", num, false);
    }
    put_table_digest(c, &t);
    ota_ddi_put(&t, "}}");
    return t.over ? OTA_ERR_TOO_LONG : OTA_OK;
}

/* The attributes go to the server when it asks (the configData link) and
 * when they differ from the ones it last took (the record keeps their
 * digest, saved only after a 2xx: a lost answer or a lost save means they
 * are sent again, never that they were taken). */
static int send_config(struct ota_ddi_client *c)
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256_ctx sha;
    struct ota_ddi_text t;
    int err = config_body(c);
    if (err) {
        return err;
    }
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, c->req, strlen(c->req));
    ota_sha256_finish(&sha, digest);
    if (!c->config_uri[0] && c->rec.has_config && memcmp(digest, c->rec.config, OTA_SHA256_LEN) == 0) {
        return OTA_OK;  /* the server has these */
    }
    ota_ddi_text_init(&t, c->uri, sizeof(c->uri));
    ota_ddi_put(&t, c->config_uri[0] ? c->config_uri : c->base);
    ota_ddi_put(&t, c->config_uri[0] ? "" : "/configData");
    if (t.over) {
        return OTA_ERR_TOO_LONG;
    }
    OTA_LOGI(TAG, "configData: %s", c->config_uri[0] ? "the server asks for the attributes" : "the attributes changed");
    if (c->rec.has_config) {
        /* forgotten before the PUT: a cut after the server took these must
         * not leave a digest of older attributes the device may return to */
        c->rec.has_config = false;
        if ((err = save_record(c))) {
            return err;
        }
    }
    if ((err = exchange(c, "PUT", c->uri, c->req))) {
        return err;  /* sent again at the next poll */
    }
    c->res->config_sent = true;
    c->rec.has_config = true;
    memcpy(c->rec.config, digest, OTA_SHA256_LEN);
    return save_record(c);
}

/* ---- confirmationBase, installedBase ----------------------------------------------- */

/* An action waits for the device's consent (hawkBit's user consent flow):
 * the device confirms it (the app's say is at the switch, may_activate),
 * then the controller resource links its deploymentBase. */
static int confirm(struct ota_ddi_client *c)
{
    struct ota_json j;
    struct ota_ddi_text t;
    char id[OTA_DDI_ID_MAX + 1];
    int err = ota_ddi_get(c, c->deploy_uri, &j);
    if (err || (err = ota_ddi_get_id(&j, ota_json_member(&j, 0, "id"), id)) ||
        (err = feedback_uri(c, "confirmationBase", id))) {
        OTA_LOGE(TAG, "confirmationBase %s: %s", c->deploy_uri, ota_strerror(err));
        return err;
    }
    ota_ddi_text_init(&t, c->req, sizeof(c->req));
    ota_ddi_put(&t, "{\"confirmation\":\"confirmed\",\"code\":200,\"details\":"
                    "[\"confirmed by the device; the app has its say before the switch\"]}");
    OTA_LOGI(TAG, "action %s waits for a confirmation: confirmed", id);
    if (t.over || (err = exchange(c, "POST", c->uri, c->req)) || (err = read_base(c))) {
        return err ? err : OTA_ERR_TOO_LONG;
    }
    c->res->confirmed = true;
    if (c->deploy_uri[0] && c->deploy_link != LINK_DEPLOY) {
        c->deploy_uri[0] = '\0';  /* not deployed yet: the next poll */
    }
    return OTA_OK;
}

/* The action the server knows installed: nothing to do but say so (it is
 * neither installed again nor reported again). */
static int installed_base(struct ota_ddi_client *c)
{
    struct ota_json j;
    struct ota_ddi_result *res = c->res;
    int err = ota_ddi_get(c, c->deploy_uri, &j);
    if (err || (err = ota_ddi_get_id(&j, ota_json_member(&j, 0, "id"), res->installed_action))) {
        OTA_LOGE(TAG, "installedBase %s: %s", c->deploy_uri, ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "installedBase: action %s is installed%s; nothing to do", res->installed_action,
             c->have_rec && strcmp(c->rec.action_id, res->installed_action) != 0 ? " (not the one this device recorded)"
                                                                                  : "");
    return OTA_OK;
}

/* ---- the poll ------------------------------------------------------------------- */

static bool id_ok(const char *s)
{
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.')) {
            return false;
        }
    }
    return true;
}

int ota_ddi_init(struct ota_ddi_client *c, const struct ota_ddi_config *cfg)
{
    struct ota_ddi_text t;
    memset(c, 0, sizeof(*c));
    if (!cfg || !cfg->server || !cfg->tenant || !cfg->controller_id || !cfg->tenant[0] || !cfg->controller_id[0] ||
        !id_ok(cfg->tenant) || !id_ok(cfg->controller_id) || ota_uri_scheme(cfg->server, &(const char *){NULL})) {
        return OTA_ERR_INVALID_ARG;
    }
    c->cfg = *cfg;
    ota_ddi_text_init(&t, c->base, sizeof(c->base));
    ota_ddi_put(&t, cfg->server);
    ota_ddi_put(&t, "/");
    ota_ddi_put(&t, cfg->tenant);
    ota_ddi_put(&t, "/controller/v1/");
    ota_ddi_put(&t, cfg->controller_id);
    return t.over ? OTA_ERR_TOO_LONG : OTA_OK;
}

int ota_ddi_poll(struct ota_ddi_client *c, struct ota_service *svc, struct ota_ddi_result *res)
{
    memset(res, 0, sizeof(*res));
    c->svc = svc;
    c->res = res;
    if (!svc->cfg.transport->exchange) {
        return OTA_ERR_DDI_NO_API;
    }
    /* the record first: whatever the server does, a DDI install that waits
     * for its restart keeps the manifest out (ota_ddi_manifest_turn) */
    int err = load_record(c);
    c->rec_unreadable = err != OTA_OK;
    if (err || (err = read_base(c))) {
        return err;
    }
    res->reached = true;
    bool had_outcome = c->have_rec && c->rec.state != OTA_DDI_RECORD_REPORTED;
    report_outcome(c);  /* a failure keeps the record: sent again next time */
    if (had_outcome && res->reported && (err = read_base(c))) {
        return err;  /* the links were for the action just closed */
    }
    if (c->cancel_uri[0]) {
        answer_cancel(c);
    }
    send_config(c);
    if (c->deploy_uri[0] && c->deploy_link == LINK_INSTALLED) {
        return installed_base(c);
    }
    if (c->deploy_uri[0] && c->deploy_link == LINK_CONFIRM) {
        res->offered = true;  /* an action is there, confirmed or not */
        if ((err = confirm(c))) {
            return err;
        }
    }
    res->offered |= c->deploy_uri[0] != '\0';
    return res->offered ? ota_ddi_install(c) : OTA_OK;
}

enum ota_ddi_manifest_turn ota_ddi_manifest_turn(const struct ota_ddi_client *c, const struct ota_ddi_result *res)
{
    if (res->offered) {
        return OTA_DDI_MANIFEST_SKIP_DEPLOYED;
    }
    if (c->rec_unreadable) {
        return OTA_DDI_MANIFEST_SKIP_RECORD;
    }
    if (c->have_rec && c->rec.state == OTA_DDI_RECORD_INSTALLED) {
        return OTA_DDI_MANIFEST_SKIP_PENDING;
    }
    return res->reached ? OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED : OTA_DDI_MANIFEST_RUN_UNREACHABLE;
}

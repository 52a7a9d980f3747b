/*
 * The pending-action record as text, one `key=value` a line in a fixed
 * order behind a version line (docs/ddi.md):
 *
 *   ota-ddi-record 2
 *   state=none|installed|outcome|reported
 *   action=<decimal id; empty for none>
 *   version=<the app chunk's version; empty for none>
 *   slot=<partition label, or empty>
 *   size=<decimal>
 *   sha256=<64 lowercase hex>
 *   success=0|1
 *   reason=<printable ASCII, may be empty>
 *   config=<64 lowercase hex: the attributes the server took last; or empty>
 *
 * Version 1 (the same without the config line) is still read: its
 * attributes count as never reported.
 * The port writes it whole (a torn record is never read as a valid one:
 * parse wants every line, in order, each ended by a newline).
 */
#include <string.h>

#include "ddi_internal.h"
#include "ota/error.h"
#include "ota/hex.h"

static const char *const state_names[] = {"none", "installed", "outcome", "reported"};
static const char *const keys[] = {"state", "action", "version", "slot", "size", "sha256", "success", "reason", "config"};
#define HEADER "ota-ddi-record 2\n"
#define HEADER_V1 "ota-ddi-record 1\n"

const char *ota_ddi_record_state_name(int state)
{
    return state >= 0 && state <= OTA_DDI_RECORD_REPORTED ? state_names[state] : "?";
}

int ota_ddi_record_format(const struct ota_ddi_record *r, char *out, size_t cap, size_t *len)
{
    struct ota_ddi_text t;
    if (r->state > OTA_DDI_RECORD_REPORTED || (r->state == OTA_DDI_RECORD_NONE) != (r->action_id[0] == '\0')) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_ddi_text_init(&t, out, cap);
    const char *v[] = {state_names[r->state], r->action_id, r->version, r->slot, NULL, NULL,
                       r->success ? "1" : "0", r->reason};
    ota_ddi_put(&t, HEADER);
    for (unsigned k = 0; k < 9; k++) {
        ota_ddi_put(&t, keys[k]);
        ota_ddi_put(&t, "=");
        if (k == 4) {
            ota_ddi_put_u64(&t, r->size);
        } else if (k == 5) {
            ota_ddi_put_hex(&t, r->sha256, OTA_SHA256_LEN);
        } else if (k == 8) {
            ota_ddi_put_hex(&t, r->config, r->has_config ? OTA_SHA256_LEN : 0);
        } else {
            ota_ddi_put(&t, v[k]);
        }
        ota_ddi_put(&t, "\n");
    }
    *len = t.len;
    return t.over ? OTA_ERR_NO_MEM : OTA_OK;
}

static bool get_hex(const char *v, size_t n, uint8_t out[OTA_SHA256_LEN])
{
    return n == 2 * OTA_SHA256_LEN && ota_hex_decode(v, out, OTA_SHA256_LEN, false);
}

/* One value into its field; false when it is not of the field's form. */
static bool set_field(struct ota_ddi_record *r, unsigned k, const char *v, size_t n)
{
    switch (k) {
    case 0:
        r->state = 0xFF;
        for (unsigned s = OTA_DDI_RECORD_NONE; s <= OTA_DDI_RECORD_REPORTED; s++) {
            if (n == strlen(state_names[s]) && memcmp(v, state_names[s], n) == 0) {
                r->state = (uint8_t)s;
            }
        }
        return r->state != 0xFF;
    case 1:
        for (size_t i = 0; i < n; i++) {
            if (i == 0 && n > 1 && v[0] == '0') {
                return false;
            }
            if (v[i] < '0' || v[i] > '9') {
                return false;
            }
        }
        /* an action names its id and version; "none" (attributes only) neither */
        return (n > 0) == (r->state != OTA_DDI_RECORD_NONE) && n <= OTA_DDI_ID_MAX && (memcpy(r->action_id, v, n), true);
    case 2: return (n > 0) == (r->state != OTA_DDI_RECORD_NONE) && n < sizeof(r->version) && (memcpy(r->version, v, n), true);
    case 3: return n < sizeof(r->slot) && (memcpy(r->slot, v, n), true);
    case 4: {
        uint64_t x = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] < '0' || v[i] > '9' || (x = x * 10 + (uint64_t)(v[i] - '0')) > UINT32_MAX) {
                return false;
            }
        }
        r->size = (uint32_t)x;
        return n > 0 && n <= 10 && !(n > 1 && v[0] == '0');  /* one spelling per number */
    }
    case 5: return get_hex(v, n, r->sha256);
    case 6:
        r->success = n == 1 && v[0] == '1';
        return n == 1 && (v[0] == '0' || v[0] == '1');
    case 7: return n < sizeof(r->reason) && (memcpy(r->reason, v, n), true);
    default: return n == 0 || (r->has_config = get_hex(v, n, r->config));
    }
}

int ota_ddi_record_parse(const char *text, size_t len, struct ota_ddi_record *r)
{
    size_t hl = sizeof(HEADER) - 1, pos = hl;
    memset(r, 0, sizeof(*r));
    if (len < hl || (memcmp(text, HEADER, hl) != 0 && memcmp(text, HEADER_V1, hl) != 0)) {
        return OTA_ERR_DDI_RECORD;
    }
    unsigned lines = text[hl - 2] == '1' ? 8 : 9;  /* version 1 had no config line */
    for (unsigned k = 0; k < lines; k++) {
        size_t kl = strlen(keys[k]), end = pos;
        if (len - pos < kl + 1 || memcmp(text + pos, keys[k], kl) != 0 || text[pos + kl] != '=') {
            return OTA_ERR_DDI_RECORD;
        }
        pos += kl + 1;
        for (end = pos; end < len && text[end] != '\n'; end++) {
            if (text[end] < 0x20 || text[end] > 0x7E) {
                return OTA_ERR_DDI_RECORD;
            }
        }
        if (end >= len || !set_field(r, k, text + pos, end - pos)) {
            return OTA_ERR_DDI_RECORD;
        }
        pos = end + 1;
    }
    /* version 1 knew no "none" */
    return pos == len && !(lines == 8 && r->state == OTA_DDI_RECORD_NONE) ? OTA_OK : OTA_ERR_DDI_RECORD;
}

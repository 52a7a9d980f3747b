/* The DDI client's parsers: the JSON reader, the deployment reader, the
 * controller's lookups, and the pending-action record. The first byte picks
 * the parser; a result that claims success must hold only what the limits
 * allow. */
#include "fuzz_common.h"
#include "ota/ddi.h"

static struct ota_json_tok tok[OTA_DDI_TOKENS_MAX];

static void check_tree(const struct ota_json *j)
{
    for (unsigned i = 0; i < j->n; i++) {
        if (j->tok[i].next <= i || j->tok[i].next > j->n) {
            __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > OTA_DDI_RESPONSE_MAX) {
        return 0;
    }
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] % 3 == 0) {
        struct ota_json j;
        char s[OTA_DDI_URI_MAX];
        uint64_t v;
        if (ota_json_parse(&j, text, len, tok, OTA_DDI_TOKENS_MAX) == OTA_OK) {
            check_tree(&j);
            int idx = ota_json_path(&j, 0, "_links.deploymentBase.href");
            if (ota_json_string(&j, idx, s, sizeof(s)) == OTA_OK && strlen(s) >= sizeof(s)) {
                __builtin_trap();
            }
            ota_json_u64(&j, ota_json_path(&j, 0, "config.polling.sleep"), &v);
        }
    } else if (data[0] % 3 == 1) {
        struct ota_ddi_deployment d;
        if (ota_ddi_parse_deployment(text, len, NULL, &d, tok, OTA_DDI_TOKENS_MAX) == OTA_OK &&
            (d.count == 0 || d.count > OTA_DDI_MAX_ITEMS || !d.action_id[0])) {
            __builtin_trap();
        }
    } else {
        struct ota_ddi_record r, back;
        char out[OTA_DDI_RECORD_TEXT_MAX];
        size_t n;
        /* what parses must format back to the same bytes (a version 1
         * record: to a version 2 one that reads back the same) */
        bool v1 = len > 15 && text[15] == '1';
        if (ota_ddi_record_parse(text, len, &r) == OTA_OK &&
            (ota_ddi_record_format(&r, out, sizeof(out), &n) != OTA_OK ||
             (!v1 && (n != len || memcmp(out, text, n) != 0)) || ota_ddi_record_parse(out, n, &back) != OTA_OK ||
             memcmp(&r, &back, sizeof(r)) != 0)) {
            __builtin_trap();
        }
    }
    return 0;
}

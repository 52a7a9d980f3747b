/* The DDI client's readers: the strict JSON reader and its limits, the
 * deployment reader, and the pending-action record's text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/ddi.h"
#include "ota/error.h"
#include "ota/host_transport.h"
#include "ota/service.h"

static struct ota_json_tok tok[OTA_DDI_TOKENS_MAX];

static int jparse(const char *s, struct ota_json *j)
{
    return ota_json_parse(j, s, strlen(s), tok, OTA_DDI_TOKENS_MAX);
}

static void reads_strict_json(void **state)
{
    (void)state;
    struct ota_json j;
    char s[64];
    uint64_t v;
    assert_int_equal(jparse(" {\"config\": {\"polling\": {\"sleep\": \"00:05:00\"}}, \"n\": 42, \"e\": \"a\\/b\"} ", &j),
                     OTA_OK);
    assert_int_equal(ota_json_string(&j, ota_json_path(&j, 0, "config.polling.sleep"), s, sizeof(s)), OTA_OK);
    assert_string_equal(s, "00:05:00");
    assert_int_equal(ota_json_u64(&j, ota_json_member(&j, 0, "n"), &v), OTA_OK);
    assert_int_equal(v, 42);
    assert_int_equal(ota_json_string(&j, ota_json_member(&j, 0, "e"), s, sizeof(s)), OTA_OK);
    assert_string_equal(s, "a/b");
    assert_int_equal(ota_json_member(&j, 0, "missing"), -1);
    assert_int_equal(ota_json_path(&j, 0, "config.nothing.sleep"), -1);
    /* a string too long for its field, or of the wrong type, is a field error */
    assert_int_equal(ota_json_string(&j, ota_json_path(&j, 0, "config.polling.sleep"), s, 4), OTA_ERR_DDI_FIELD);
    assert_int_equal(ota_json_string(&j, ota_json_member(&j, 0, "n"), s, sizeof(s)), OTA_ERR_DDI_FIELD);
    assert_int_equal(ota_json_u64(&j, ota_json_member(&j, 0, "e"), &v), OTA_ERR_DDI_FIELD);
}

static void refuses_what_is_not_strict(void **state)
{
    (void)state;
    struct ota_json j;
    static const char *const bad[] = {
        "", " ", "{", "}", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}",
        "{\"a\":1e}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u00\"}",
        "{\"a\":\"\\u0001\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":1}{}", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "// c\n{}", "'a'",
        "{\"a\":NaN}", "{\"a\":Infinity}", "[1 2]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (jparse(bad[i], &j) != OTA_ERR_DDI_SYNTAX) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
    /* valid odd corners */
    assert_int_equal(jparse("{\"a\":-0.5e+3,\"b\":[true,false,null],\"c\":\"\xc3\xa9\\u00e9\"}", &j), OTA_OK);
    char s[8];
    /* non-ASCII text is not a value the client takes */
    assert_int_equal(ota_json_string(&j, ota_json_member(&j, 0, "c"), s, sizeof(s)), OTA_ERR_DDI_FIELD);
    uint64_t v;
    assert_int_equal(ota_json_u64(&j, ota_json_member(&j, 0, "a"), &v), OTA_ERR_DDI_FIELD);
}

static void limits_depth_and_count(void **state)
{
    (void)state;
    static char deep[64], many[8 * OTA_DDI_TOKENS_MAX];
    struct ota_json j;
    size_t n = 0;
    for (unsigned d = 0; d < OTA_DDI_DEPTH_MAX; d++) {
        deep[n++] = '[';
    }
    for (unsigned d = 0; d < OTA_DDI_DEPTH_MAX; d++) {
        deep[n++] = ']';
    }
    deep[n] = '\0';
    assert_int_equal(jparse(deep, &j), OTA_OK);
    memmove(deep + 1, deep, n + 1);
    deep[0] = '[';
    strcat(deep, "]");
    assert_int_equal(jparse(deep, &j), OTA_ERR_DDI_SYNTAX);  /* one level deeper */
    n = 0;
    many[n++] = '[';
    for (unsigned i = 0; i < OTA_DDI_TOKENS_MAX - 1; i++) {
        n += (size_t)sprintf(many + n, "%s1", i ? "," : "");
    }
    strcpy(many + n, "]");
    assert_int_equal(jparse(many, &j), OTA_OK);
    assert_int_equal(j.n, OTA_DDI_TOKENS_MAX);
    strcpy(many + n, ",1]");
    assert_int_equal(jparse(many, &j), OTA_ERR_DDI_SYNTAX);  /* one value more */
}

#define SHA "1b7b174a672578fd23cb0f07eac785e666a7ef9d1ca6f4f6adca1b650e90ca69"
#define ART(name, extra) "{\"filename\": \"" name "\", \"hashes\": {\"sha1\": \"x\", \"md5\": \"y\", \"sha256\": \"" SHA \
                         "\"}, \"size\": 300000, \"_links\": {\"download-http\": {\"href\": \"http://h/" name \
                         "\"}" extra "}}"
#define CHUNK(part, name, arts) "{\"part\": \"" part "\", \"version\": \"v2\", \"name\": \"" name "\", \"artifacts\": [" \
                                arts "]}"
#define DEP(chunks) "{\"id\": \"7\", \"deployment\": {\"download\": \"forced\", \"update\": \"attempt\", " \
                    "\"maintenanceWindow\": \"unavailable\", \"chunks\": [" chunks "]}, " \
                    "\"actionHistory\": {\"status\": \"x\", \"messages\": []}}"

static int dparse(const char *s, struct ota_ddi_deployment *d)
{
    return ota_ddi_parse_deployment(s, strlen(s), NULL, d, tok, OTA_DDI_TOKENS_MAX);
}

static void reads_a_deployment(void **state)
{
    (void)state;
    struct ota_ddi_deployment d;
    assert_int_equal(dparse(DEP(CHUNK("os", "app", ART("v2.bin", ", \"download\": {\"href\": \"https://h/s\"}")) ", "
                                CHUNK("tone", "flash_tone", ART("t.bin", ""))), &d), OTA_OK);
    assert_string_equal(d.action_id, "7");
    assert_int_equal(d.download, OTA_DDI_FORCED);
    assert_int_equal(d.update, OTA_DDI_ATTEMPT);
    assert_int_equal(d.window, OTA_DDI_WINDOW_UNAVAILABLE);
    assert_int_equal(d.count, 2);
    assert_true(d.art[0].app);
    assert_string_equal(d.art[0].uri, "https://h/s");  /* https first */
    assert_int_equal(d.art[0].size, 300000);
    assert_int_equal(d.art[0].sha256[0], 0x1b);
    assert_false(d.art[1].app);
    assert_string_equal(d.art[1].label, "flash_tone");
    assert_string_equal(d.art[1].uri, "http://h/t.bin");
}

/* Replace the first `from` in a good deployment by `to` and parse. */
static int dedit(const char *from, const char *to)
{
    static const char good[] = DEP(CHUNK("os", "app", ART("v2.bin", "")));
    static char buf[4096];
    struct ota_ddi_deployment d;
    const char *at = strstr(good, from);
    assert_non_null(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    return dparse(buf, &d);
}

static void refuses_bad_deployments(void **state)
{
    (void)state;
    assert_int_equal(dedit("\"size\": 300000", "\"size\": 0"), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"size\": 300000", "\"size\": -1"), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"size\": 300000", "\"size\": 4294967296"), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"size\": 300000", "\"size\": \"300000\""), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"size\": 300000, ", ""), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit(", \"sha256\": \"" SHA "\"", ""), OTA_ERR_DDI_FIELD);  /* sha1/md5 alone: refused */
    assert_int_equal(dedit(SHA, "1b7b"), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("1b7b", "zz7b"), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"download-http\"", "\"other\""), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"forced\"", "\"now\""), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"unavailable\"", "\"maybe\""), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"id\": \"7\"", "\"id\": \"7/../x\""), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"id\": \"7\"", "\"id\": \"123456789012345678901\""), OTA_ERR_TOO_LONG);
    assert_int_equal(dedit("\"id\": \"7\"", "\"id\": 7"), OTA_ERR_DDI_FIELD);
    assert_int_equal(dedit("\"chunks\": [", "\"chunks\": [], \"x\": ["), OTA_ERR_DDI_DEPLOYMENT);
    assert_int_equal(dedit("\"artifacts\": [", "\"artifacts\": [], \"x\": ["), OTA_ERR_DDI_DEPLOYMENT);
    assert_int_equal(dedit("\"artifacts\": [", "\"artifacts\": [" ART("a", "") ", "), OTA_ERR_DDI_DEPLOYMENT);
    assert_int_equal(dedit("\"chunks\": [", "\"chunks\": [" CHUNK("bApp", "b", ART("b", "")) ", "),
                     OTA_ERR_DDI_DEPLOYMENT);  /* two apps */
    assert_int_equal(dedit("\"chunks\": [",
                           "\"chunks\": [" CHUNK("d", "d", ART("d", "")) ", " CHUNK("e", "e", ART("e", "")) ", "),
                     OTA_ERR_DDI_DEPLOYMENT);  /* more chunks than the client takes */
    assert_int_equal(dedit("\"filename\": \"v2.bin\", ", "\"filename\": \"v2.bin\", \"filename\": \"v3.bin\", "),
                     OTA_ERR_DDI_SYNTAX);  /* a key twice */
}

static void record_round_trip_and_refusals(void **state)
{
    (void)state;
    struct ota_ddi_record r, back;
    char text[OTA_DDI_RECORD_TEXT_MAX];
    size_t len;
    memset(&r, 0, sizeof(r));
    r.state = OTA_DDI_RECORD_OUTCOME;
    strcpy(r.action_id, "42");
    strcpy(r.version, "v2.0.0");
    strcpy(r.slot, "ota_1");
    r.size = 300000;
    r.sha256[31] = 0xab;
    r.success = false;
    strcpy(r.reason, "rolled back: self-test failed");
    assert_int_equal(ota_ddi_record_format(&r, text, sizeof(text), &len), OTA_OK);
    assert_int_equal(ota_ddi_record_parse(text, len, &back), OTA_OK);
    assert_memory_equal(&r, &back, sizeof(r));
    /* torn (every shorter prefix), or one byte changed into nonsense */
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(ota_ddi_record_parse(text, n, &back), OTA_ERR_DDI_RECORD);
    }
    static const char *const edits[][2] = {
        {"state=outcome", "state=done"}, {"action=42", "action=4x"}, {"action=42", "action="},
        {"size=300000", "size=4294967296"}, {"success=0", "success=2"}, {"version=v2.0.0", "version="},
        {"slot=ota_1\n", "slot=ota_1\nslot=ota_1\n"}, {"sha256=00", "sha256=0"}, {"size=3", "size=03"},
        {"action=42", "action=042"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char buf[OTA_DDI_RECORD_TEXT_MAX + 16];
        const char *at = strstr(text, edits[i][0]);
        assert_non_null(at);
        int n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - text), text, edits[i][1], at + strlen(edits[i][0]));
        if (ota_ddi_record_parse(buf, (size_t)n, &back) != OTA_ERR_DDI_RECORD) {
            fail_msg("accepted edit %s -> %s", edits[i][0], edits[i][1]);
        }
    }
    r.state = OTA_DDI_RECORD_NONE;
    assert_int_equal(ota_ddi_record_format(&r, text, sizeof(text), &len), OTA_ERR_INVALID_ARG);
}

/* The digest of the attributes the server took: with an action or alone
 * ("none"); version 1 records (no config line) are read as "never sent". */
static void record_keeps_the_attributes_digest(void **state)
{
    (void)state;
    struct ota_ddi_record r, back;
    char text[OTA_DDI_RECORD_TEXT_MAX], buf[OTA_DDI_RECORD_TEXT_MAX];
    size_t len;
    memset(&r, 0, sizeof(r));
    r.has_config = true;
    memset(r.config, 0x5a, sizeof(r.config));
    assert_int_equal(ota_ddi_record_format(&r, text, sizeof(text), &len), OTA_OK);
    assert_non_null(strstr(text, "state=none\naction=\nversion=\n"));
    assert_int_equal(ota_ddi_record_parse(text, len, &back), OTA_OK);
    assert_memory_equal(&r, &back, sizeof(r));
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(ota_ddi_record_parse(text, n, &back), OTA_ERR_DDI_RECORD);  /* torn: never "taken" */
    }
    /* "none" names no action, an action names one */
    strcpy(r.action_id, "7");
    assert_int_equal(ota_ddi_record_format(&r, text, sizeof(text), &len), OTA_ERR_INVALID_ARG);
    r.state = OTA_DDI_RECORD_REPORTED;
    strcpy(r.version, "v2");
    assert_int_equal(ota_ddi_record_format(&r, text, sizeof(text), &len), OTA_OK);
    assert_int_equal(ota_ddi_record_parse(text, len, &back), OTA_OK);
    assert_memory_equal(&r, &back, sizeof(r));
    /* a short config digest is refused, an empty one means none */
    char *cfg = strstr(text, "config=");
    assert_non_null(cfg);
    int n = snprintf(buf, sizeof(buf), "%.*sconfig=5a5a\n", (int)(cfg - text), text);
    assert_int_equal(ota_ddi_record_parse(buf, (size_t)n, &back), OTA_ERR_DDI_RECORD);
    n = snprintf(buf, sizeof(buf), "%.*sconfig=\n", (int)(cfg - text), text);
    assert_int_equal(ota_ddi_record_parse(buf, (size_t)n, &back), OTA_OK);
    assert_false(back.has_config);
    /* version 1: the same lines without config */
    n = snprintf(buf, sizeof(buf), "ota-ddi-record 1\n%.*s", (int)(cfg - text - 17), text + 17);
    assert_int_equal(ota_ddi_record_parse(buf, (size_t)n, &back), OTA_OK);
    assert_false(back.has_config);
    assert_string_equal(back.action_id, "7");
    assert_int_equal(ota_ddi_record_parse("ota-ddi-record 1\nstate=none\naction=\nversion=\nslot=\nsize=0\n"
                                          "sha256=0000000000000000000000000000000000000000000000000000000000000000\n"
                                          "success=0\nreason=\n", 148, &back), OTA_ERR_DDI_RECORD);
}

/* ---- the record on flash: two copies, a power cut at every operation ------ */

static void a_record(struct ota_ddi_record *r, const char *id, bool success)
{
    memset(r, 0, sizeof(*r));
    r->state = success ? OTA_DDI_RECORD_OUTCOME : OTA_DDI_RECORD_INSTALLED;
    strcpy(r->action_id, id);
    strcpy(r->version, "v2.0.0");
    strcpy(r->slot, "ota_1");
    r->size = 1234;
    r->success = success;
    strcpy(r->reason, success ? "trial boot: self-test passed" : "");
    r->has_config = true;  /* the attributes' digest rides along: a cut never yields a mix */
    memset(r->config, success ? 0xA5 : 0x5A, sizeof(r->config));
}

static void flash_store_survives_cuts(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_ptable table;
    struct ota_ddi_store st;
    struct ota_ddi_record a, b, got;
    make_seed_device(&t, &table);
    const struct ota_partition *p = ota_pt_find_label(&table, "nvs");  /* 16 KiB of data: room for two copies */
    assert_non_null(p);
    assert_int_equal(ota_flash_erase(&t.hf.flash, p->offset, 2 * OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_ddi_store_init(&st, &t.hf.flash, p), OTA_OK);
    assert_int_equal(ota_ddi_store_load(&st, &got), OTA_ERR_NOT_FOUND);
    a_record(&a, "7", false);
    a_record(&b, "7", true);
    for (uint64_t cut = 1;; cut++) {
        /* a then b, with a power cut at operation `cut` of the second save */
        assert_int_equal(ota_flash_erase(&t.hf.flash, p->offset, 2 * OTA_FLASH_SECTOR_SIZE), OTA_OK);
        assert_int_equal(ota_ddi_store_init(&st, &t.hf.flash, p), OTA_OK);
        assert_int_equal(ota_ddi_store_save(&st, &a), OTA_OK);
        for (unsigned k = 0; k < cut % 3; k++) {  /* the copies at varying places */
            assert_int_equal(ota_ddi_store_save(&st, &a), OTA_OK);
        }
        t.hf.cut_at = t.hf.count.ops + cut;
        t.hf.cut_mode = OTA_CUT_TORN;
        t.hf.cut_seed = (uint32_t)cut;
        int err = ota_ddi_store_save(&st, &b);
        tmp_flash_reopen(&t);  /* power on */
        assert_int_equal(ota_ddi_store_init(&st, &t.hf.flash, p), OTA_OK);
        assert_int_equal(ota_ddi_store_load(&st, &got), OTA_OK);
        if (err == OTA_OK) {
            assert_memory_equal(&got, &b, sizeof(b));  /* the save ended before the cut */
            break;
        }
        assert_true(memcmp(&got, &a, sizeof(a)) == 0 || memcmp(&got, &b, sizeof(b)) == 0);
    }
    /* a save after a load goes on from the newest copy */
    assert_int_equal(ota_ddi_store_save(&st, &a), OTA_OK);
    assert_int_equal(ota_ddi_store_load(&st, &got), OTA_OK);
    assert_memory_equal(&got, &a, sizeof(a));
    /* both copies damaged is an error, not "no record" */
    uint8_t junk[16] = "garbage garbage";
    assert_int_equal(ota_flash_erase(&t.hf.flash, p->offset, 2 * OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_flash_program(&t.hf.flash, p->offset, junk, sizeof(junk)), OTA_OK);
    assert_int_equal(ota_ddi_store_load(&st, &got), OTA_ERR_NOT_FOUND);  /* a torn first save */
    assert_int_equal(ota_flash_program(&t.hf.flash, p->offset + OTA_FLASH_SECTOR_SIZE, junk, sizeof(junk)), OTA_OK);
    assert_int_equal(ota_ddi_store_load(&st, &got), OTA_ERR_DDI_RECORD);
    tmp_flash_destroy(&t);
}

/* ---- activation under the app's control (ota_service_config) ---------------- */

struct say {
    bool activate, restart;
    unsigned asked_activate, asked_restart;
};

static bool may_activate(void *ctx, unsigned id)
{
    struct say *s = ctx;
    (void)id;
    s->asked_activate++;
    return s->activate;
}

static bool may_restart(void *ctx)
{
    struct say *s = ctx;
    s->asked_restart++;
    return s->restart;
}

static void on_event(void *ctx, const struct ota_event *ev)
{
    (void)ctx;
    (void)ev;
}

/* One app item from the card with the app's answers; returns the item's error. */
static int run_with_say(struct tmp_flash *t, const char *sd, struct say *say, bool *reboot)
{
    static struct ota_service svc;
    static struct ota_host_transport ht;
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    struct ota_service_config c;
    ota_host_transport_init(&ht, &tc);
    memset(&c, 0, sizeof(c));
    c.flash = &t->hf.flash;
    c.transport = &ht.transport;
    c.on_event = on_event;
    c.cb_ctx = say;
    c.chip_id = OTA_CHIP_ESP32;
    c.running_app_offset = booted_app_offset(&t->hf.flash);
    c.may_activate = may_activate;
    c.may_restart = may_restart;
    struct ota_item item = {OTA_ITEM_APP, NULL, "file://sdcard/app.bin", NULL, {0}, true, false, NULL, NULL};
    assert_int_equal(ota_service_init(&svc, &c), OTA_OK);
    assert_int_equal(ota_service_set_upgrade_list(&svc, &item, 1), OTA_OK);
    return ota_service_start(&svc, reboot);
}

static void the_app_decides_the_switch_and_the_restart(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_ptable table;
    char sd[] = "/tmp/ota-test-ddi-XXXXXX";
    assert_non_null(mkdtemp(sd));
    make_seed_device(&t, &table);
    struct buf v1 = make_image("lamp", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    struct buf v2 = make_image("lamp", "v2.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(&t, ota_pt_find_label(&table, "ota_0"), v1.data, v1.len);
    put_file(sd, "app.bin", v2.data, v2.len);
    struct say say = {false, true, 0, 0};
    bool reboot = true;
    /* not now: verified, not selected, no restart */
    assert_int_equal(run_with_say(&t, sd, &say, &reboot), OTA_ERR_ACTIVATION_DEFERRED);
    assert_int_equal(say.asked_activate, 1);
    assert_false(reboot);
    assert_boots(&t.hf.flash, "ota_0");
    /* switch now, restart later: selected, no restart requested */
    say.activate = true;
    say.restart = false;
    assert_int_equal(run_with_say(&t, sd, &say, &reboot), OTA_OK);
    assert_int_equal(say.asked_activate, 2);
    assert_int_equal(say.asked_restart, 1);
    assert_false(reboot);
    assert_boots(&t.hf.flash, "ota_1");
    buf_free(&v1);
    buf_free(&v2);
    tmp_flash_destroy(&t);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", sd);
    assert_int_equal(system(cmd), 0);
}

/* Both paths configured: the manifest's turn after a poll (docs/ddi.md). */
static void the_manifest_runs_only_when_the_server_deploys_nothing(void **state)
{
    (void)state;
    static struct ota_ddi_client c;
    static struct ota_ddi_result res;
    memset(&c, 0, sizeof(c));
    memset(&res, 0, sizeof(res));
    /* unreachable or unusable, but an install waits for its restart: the
     * manifest would write over the app the record names */
    c.have_rec = true;
    c.rec.state = OTA_DDI_RECORD_INSTALLED;
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_SKIP_PENDING);
    /* ... or the record could not be read: one may wait */
    c.rec_unreadable = true;
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_SKIP_RECORD);
    assert_false(OTA_DDI_MANIFEST_RUNS(OTA_DDI_MANIFEST_SKIP_RECORD));
    c.rec_unreadable = false;
    /* reached, a deployment linked (installed, refused or waiting alike) */
    res.reached = true;
    res.offered = true;
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_SKIP_DEPLOYED);
    /* nothing linked, but an install waits for its restart or trial */
    res.offered = false;
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_SKIP_PENDING);
    assert_false(OTA_DDI_MANIFEST_RUNS(OTA_DDI_MANIFEST_SKIP_PENDING));
    /* an outcome known or reported: no longer waiting */
    c.rec.state = OTA_DDI_RECORD_OUTCOME;
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED);
    c.have_rec = false;
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED);
    assert_true(OTA_DDI_MANIFEST_RUNS(OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED));
    res.reached = false;  /* unreachable, nothing waits */
    assert_int_equal(ota_ddi_manifest_turn(&c, &res), OTA_DDI_MANIFEST_RUN_UNREACHABLE);
    assert_true(OTA_DDI_MANIFEST_RUNS(OTA_DDI_MANIFEST_RUN_UNREACHABLE));
    assert_false(OTA_DDI_MANIFEST_RUNS(OTA_DDI_MANIFEST_SKIP_DEPLOYED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_strict_json),
        cmocka_unit_test(refuses_what_is_not_strict),
        cmocka_unit_test(limits_depth_and_count),
        cmocka_unit_test(reads_a_deployment),
        cmocka_unit_test(refuses_bad_deployments),
        cmocka_unit_test(record_round_trip_and_refusals),
        cmocka_unit_test(record_keeps_the_attributes_digest),
        cmocka_unit_test(the_app_decides_the_switch_and_the_restart),
        cmocka_unit_test(flash_store_survives_cuts),
        cmocka_unit_test(the_manifest_runs_only_when_the_server_deploys_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

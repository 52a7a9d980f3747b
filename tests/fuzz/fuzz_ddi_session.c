/* The DDI client's state machine against a server that answers anything:
 * a fake transport hands out the fuzzer's bytes as successive responses
 * (API exchanges: a status and a body; artifact downloads: a body), for up
 * to three polls of one emulated device (a RAM flash with a partition table
 * and an app in ota_0, the pending-action record kept in RAM across polls).
 *
 * Input: a sequence of frames, [kind][len lo][len hi][len bytes]. The first
 * frame is the record the device starts with (kind even: none). Each
 * exchange or artifact takes the next frame; kind picks the HTTP status
 * (or a transport error). When the frames run out the server is gone.
 *
 * Whatever the server says, the client must keep the device bootable: the
 * partition table and the running app are never touched, every request it
 * sends is strict JSON, a record it saves parses back, and a result never
 * claims what the record does not hold. */
#include <stdbool.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "ota/ddi.h"
#include "ota/image.h"
#include "ota/partition.h"
#include "ota/service.h"

#define FLASH_SIZE 0x40000u
#define APP_OFFSET 0x10000u
#define APP_SLOT 0x10000u
#define APP_SIZE 8192u

static uint8_t golden[FLASH_SIZE];
static uint8_t work[FLASH_SIZE];

struct session {
    const uint8_t *data;
    size_t len, pos;
    const uint8_t *stream;   /* the artifact being served */
    size_t stream_len, stream_pos;
    bool open;
    char record[OTA_DDI_RECORD_TEXT_MAX];
    size_t record_len;       /* 0: no record */
};

static struct session ses;
static struct ota_ddi_client client;
static struct ota_service svc;
static struct ota_json_tok check_tok[OTA_DDI_TOKENS_MAX];

/* ---- the device's flash: RAM with NOR rules ------------------------------ */

static int rw_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, work + addr, len);
    return OTA_OK;
}

static int rw_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *b = buf;
    (void)ctx;
    for (uint32_t i = 0; i < len; i++) {
        work[addr + i] &= b[i];
    }
    return OTA_OK;
}

static int rw_erase(void *ctx, uint32_t addr, uint32_t len)
{
    (void)ctx;
    memset(work + addr, 0xFF, len);
    return OTA_OK;
}

static const struct ota_flash flash = {NULL, FLASH_SIZE, rw_read, rw_program, rw_erase};

/* ---- the server: frames of the input ------------------------------------ */

static bool next_frame(uint8_t *kind, const uint8_t **body, size_t *len)
{
    if (ses.len - ses.pos < 3) {
        return false;
    }
    size_t n = (size_t)ses.data[ses.pos + 1] | (size_t)ses.data[ses.pos + 2] << 8;
    *kind = ses.data[ses.pos];
    ses.pos += 3;
    if (n > ses.len - ses.pos) {
        n = ses.len - ses.pos;
    }
    *body = ses.data + ses.pos;
    *len = n;
    ses.pos += n;
    return true;
}

static int fake_exchange(void *ctx, struct ota_http_exchange *x)
{
    static const long statuses[8] = {200, 200, 200, 201, 404, 410, 500, 401};
    uint8_t kind;
    const uint8_t *body;
    size_t len;
    (void)ctx;
    /* what the client sends is strict JSON, and bounded */
    struct ota_json j;
    if (x->body && (x->body_len > OTA_DDI_REQUEST_MAX ||
                    ota_json_parse(&j, x->body, x->body_len, check_tok, OTA_DDI_TOKENS_MAX) != OTA_OK)) {
        __builtin_trap();
    }
    x->resp_len = 0;
    x->status = 0;
    if (!next_frame(&kind, &body, &len)) {
        return OTA_ERR_CONNECT;  /* the server is gone */
    }
    if (kind >= 0xF0) {
        return kind & 1 ? OTA_ERR_TIMEOUT : OTA_ERR_CONNECT;
    }
    if (len > x->resp_cap) {
        return OTA_ERR_DDI_TOO_BIG;
    }
    memcpy(x->resp, body, len);
    x->resp_len = len;
    x->status = statuses[kind & 7];
    return x->status >= 200 && x->status < 300 ? OTA_OK : OTA_ERR_HTTP_STATUS;
}

static int fake_open(void *ctx, const char *uri, const char *cert_pem, uint64_t offset, const char *if_range,
                     void **stream, struct ota_source_info *info)
{
    uint8_t kind;
    (void)ctx, (void)uri, (void)cert_pem, (void)if_range;
    if (ses.open || !next_frame(&kind, &ses.stream, &ses.stream_len)) {
        return OTA_ERR_CONNECT;
    }
    if (kind & 1) {
        return OTA_ERR_HTTP_STATUS;
    }
    memset(info, 0, sizeof(*info));
    info->content_length = (int64_t)ses.stream_len;
    info->total_length = (int64_t)ses.stream_len;
    info->offset = 0;
    (void)offset;  /* ranges are not honoured: the whole body each time */
    ses.stream_pos = 0;
    ses.open = true;
    *stream = &ses;
    return OTA_OK;
}

static int fake_read(void *ctx, void *stream, void *buf, size_t len)
{
    (void)ctx, (void)stream;
    size_t n = ses.stream_len - ses.stream_pos;
    if (n > len) {
        n = len;
    }
    memcpy(buf, ses.stream + ses.stream_pos, n);
    ses.stream_pos += n;
    return (int)n;
}

static void fake_close(void *ctx, void *stream)
{
    (void)ctx, (void)stream;
    ses.open = false;
}

static const struct ota_transport transport = {NULL, fake_open, fake_read, fake_close, fake_exchange};

/* ---- the record, kept across polls ---------------------------------------- */

static int rec_load(void *ctx, struct ota_ddi_record *r)
{
    (void)ctx;
    return ses.record_len ? ota_ddi_record_parse(ses.record, ses.record_len, r) : OTA_ERR_NOT_FOUND;
}

static int rec_save(void *ctx, const struct ota_ddi_record *r)
{
    struct ota_ddi_record back;
    (void)ctx;
    int err = ota_ddi_record_format(r, ses.record, sizeof(ses.record), &ses.record_len);
    if (err || ota_ddi_record_parse(ses.record, ses.record_len, &back) != OTA_OK) {
        __builtin_trap();  /* the client saves only records it can read back */
    }
    return OTA_OK;
}

/* ---- the device ------------------------------------------------------------ */

static int emit(void *ctx, const void *data, size_t len)
{
    size_t *at = ctx;
    memcpy(golden + *at, data, len);
    *at += len;
    return OTA_OK;
}

static void make_device(void)
{
    static const char csv[] = "nvs, data, nvs, 0x9000, 0x4000\n"
                              "otadata, data, ota, 0xd000, 0x2000\n"
                              "ota_0, app, ota_0, 0x10000, 0x10000\n"
                              "ota_1, app, ota_1, 0x20000, 0x10000\n"
                              "store, data, 0x40, 0x30000, 0x10000\n";
    struct ota_ptable t;
    struct ota_pt_diag diag;
    size_t at = APP_OFFSET;
    struct ota_image_build_params p = {"lamp", "v1.0.0", 0, OTA_CHIP_ESP32, APP_SIZE, "00:00:00", "Jan  1 2026",
                                       "v6.0"};
    memset(golden, 0xFF, sizeof(golden));
    if (ota_pt_parse_csv(csv, sizeof(csv) - 1, FLASH_SIZE, &t, &diag) || ota_pt_to_binary(&t, golden + OTA_PT_OFFSET) ||
        ota_image_build(&p, emit, &at)) {
        abort();
    }
}

static void on_event(void *ctx, const struct ota_event *ev)
{
    (void)ctx, (void)ev;
}

/* One poll, as a fresh boot of the client would make it. */
static void poll_once(void)
{
    struct ota_service_config c;
    struct ota_ddi_config dc = {"http://h", "DEFAULT", "dev", NULL, rec_load, rec_save, NULL};
    struct ota_ddi_result res;
    memset(&c, 0, sizeof(c));
    c.flash = &flash;
    c.transport = &transport;
    c.on_event = on_event;
    c.chip_id = OTA_CHIP_ESP32;
    c.running_app_offset = APP_OFFSET;
    c.allow_plain_http = true;
    c.no_retry = true;
    if (ota_service_init(&svc, &c) != OTA_OK || ota_ddi_init(&client, &dc) != OTA_OK) {
        __builtin_trap();  /* the device is whole: only the server is fuzzed */
    }
    int err = ota_ddi_poll(&client, &svc, &res);
    struct ota_ddi_record saved;
    bool have = ses.record_len && ota_ddi_record_parse(ses.record, ses.record_len, &saved) == OTA_OK;
    if (err > 0 || res.dep.count > OTA_DDI_MAX_ITEMS || (res.installed && !res.deployed) ||
        (res.installed && !(have && saved.state == OTA_DDI_RECORD_INSTALLED &&
                            strcmp(saved.action_id, res.dep.action_id) == 0)) ||
        (res.reported && !(have && saved.state == OTA_DDI_RECORD_REPORTED))) {
        __builtin_trap();
    }
    /* the device stays bootable: its table and running app are untouched */
    if (memcmp(work + OTA_PT_OFFSET, golden + OTA_PT_OFFSET, OTA_PT_LEN) != 0 ||
        memcmp(work + APP_OFFSET, golden + APP_OFFSET, APP_SLOT) != 0) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t kind;
    const uint8_t *rec;
    size_t rec_len;
    if (!golden[0]) {
        make_device();
    }
    memcpy(work, golden, sizeof(work));
    memset(&ses, 0, sizeof(ses));
    ses.data = data;
    ses.len = size;
    if (next_frame(&kind, &rec, &rec_len) && (kind & 1) && rec_len <= sizeof(ses.record)) {
        memcpy(ses.record, rec, rec_len);
        ses.record_len = rec_len;
    }
    for (unsigned k = 0; k < 3 && ses.pos < ses.len; k++) {
        poll_once();
    }
    return 0;
}

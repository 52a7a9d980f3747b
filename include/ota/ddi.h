/*
 * A client of Eclipse hawkBit's Direct Device Integration (DDI) API: the
 * device polls its controller resource, installs what the server deploys
 * through the service's items, and reports back (docs/ddi.md).
 *
 *   static struct ota_ddi_client ddi;   // caller-owned, about 16 KiB
 *   ota_ddi_init(&ddi, &cfg);
 *   ota_ddi_poll(&ddi, &svc, &res);      // one poll: report, cancel, install
 *   // res.sleep_s: when to poll again; res.reboot: restart to boot the new app
 *
 * Every response is read into a bounded buffer (OTA_DDI_RESPONSE_MAX) and
 * parsed strictly (OTA_DDI_TOKENS_MAX values, OTA_DDI_DEPTH_MAX levels, no
 * duplicate keys, UTF-8 checked); a deployment may hold at most
 * OTA_DDI_MAX_ITEMS chunks, so memory does not grow with what a server
 * sends. The core speaks through the port's transport (open/read for
 * artifacts, exchange for the API); authorization headers are the port's.
 *
 * The pending-action record (struct ota_ddi_record) is how the outcome of
 * an install survives the restart: it is saved, through the port, before
 * otadata changes, and cleared only once the server has taken the final
 * feedback for that action id.
 */
#ifndef OTA_DDI_H
#define OTA_DDI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/partition.h"
#include "ota/service.h"

#define OTA_DDI_RESPONSE_MAX 8192u  /* longest response body taken */
#define OTA_DDI_REQUEST_MAX 1024u   /* longest request body sent */
#define OTA_DDI_TOKENS_MAX 320u     /* JSON values in one response */
#define OTA_DDI_DEPTH_MAX 10u       /* levels of values (a deployment's link href is at 9) */
#define OTA_DDI_URI_MAX 512u        /* every URI the client keeps */
#define OTA_DDI_ID_MAX 20u          /* an action id: decimal digits */
#define OTA_DDI_TEXT_MAX 64u        /* versions, names, reasons */
#define OTA_DDI_MAX_ITEMS 2u        /* chunks in one deployment: the app and a data partition */

/* ---- the strict JSON reader (also for tests and the fuzz target) -------- */

enum ota_json_type {
    OTA_JSON_OBJECT = 1,
    OTA_JSON_ARRAY,
    OTA_JSON_STRING,
    OTA_JSON_NUMBER,
    OTA_JSON_TRUE,
    OTA_JSON_FALSE,
    OTA_JSON_NULL,
};

struct ota_json_tok {
    uint8_t type;     /* enum ota_json_type */
    uint16_t next;    /* index of the first token after this value */
    uint16_t count;   /* members (object) or elements (array) */
    uint32_t start;   /* the value's text; a string's without its quotes */
    uint32_t len;
};

struct ota_json {
    const char *text;
    const struct ota_json_tok *tok;
    unsigned n;
};

/* Parse text[0..len) into tok[0..cap): one value, whitespace around it,
 * nothing else. Refused (OTA_ERR_DDI_SYNTAX): anything not RFC 8259 JSON,
 * invalid UTF-8, escapes of control characters or surrogates, more than cap
 * values, deeper than OTA_DDI_DEPTH_MAX, a key twice in one object. */
int ota_json_parse(struct ota_json *j, const char *text, size_t len, struct ota_json_tok *tok, unsigned cap);

/* The value of member `key` of object `obj`, or -1 (obj not an object, no
 * such key). */
int ota_json_member(const struct ota_json *j, int obj, const char *key);

/* A dotted path of members from `obj` ("config.polling.sleep"), or -1. */
int ota_json_path(const struct ota_json *j, int obj, const char *path);

/* The string at idx, unescaped, into out (cap bytes with the NUL).
 * OTA_ERR_DDI_FIELD: not a string, empty, holds a NUL or a non-ASCII or
 * control character, or longer than cap - 1. */
int ota_json_string(const struct ota_json *j, int idx, char *out, size_t cap);

/* A non-negative integer (no fraction, no exponent) at idx. */
int ota_json_u64(const struct ota_json *j, int idx, uint64_t *v);

/* ---- deployments ---------------------------------------------------------- */

enum ota_ddi_mode { OTA_DDI_SKIP = 0, OTA_DDI_ATTEMPT, OTA_DDI_FORCED };

enum ota_ddi_window { OTA_DDI_WINDOW_NONE = 0, OTA_DDI_WINDOW_AVAILABLE, OTA_DDI_WINDOW_UNAVAILABLE };

struct ota_ddi_artifact {
    bool app;                          /* the app; else a data partition */
    char label[17];                    /* data: the partition */
    char name[OTA_DDI_TEXT_MAX];       /* the artifact's filename */
    char version[OTA_DDI_TEXT_MAX];    /* the chunk's version */
    uint64_t size;
    uint8_t sha256[OTA_SHA256_LEN];
    char uri[OTA_DDI_URI_MAX];
};

struct ota_ddi_deployment {
    char action_id[OTA_DDI_ID_MAX + 1];
    enum ota_ddi_mode download, update;
    enum ota_ddi_window window;
    unsigned count;
    struct ota_ddi_artifact art[OTA_DDI_MAX_ITEMS];
};

/* Read a deploymentBase response. An app chunk is one whose part is "os",
 * "bApp" or "app"; any other chunk names a data partition of the table by
 * its name, else by its part. Each chunk holds exactly one artifact with a
 * size, a SHA-256 and a download link (https "download" first, then
 * "download-http"). Errors: the parser's, OTA_ERR_DDI_FIELD (a field
 * missing, mistyped or out of range), OTA_ERR_DDI_DEPLOYMENT (no chunk, more
 * than OTA_DDI_MAX_ITEMS, two app chunks, an artifact count other than one,
 * a partition the table lacks), OTA_ERR_TOO_LONG (a URI, id or name past its
 * limit). `table` may be NULL (no partition check). */
int ota_ddi_parse_deployment(const char *text, size_t len, const struct ota_ptable *table,
                             struct ota_ddi_deployment *d, struct ota_json_tok *tok, unsigned cap);

/* ---- the pending-action record -------------------------------------------- */

enum ota_ddi_record_state {
    OTA_DDI_RECORD_NONE = 0,   /* no action: the record keeps only the attributes' digest */
    OTA_DDI_RECORD_INSTALLED,  /* written before the switch; the outcome is not known yet */
    OTA_DDI_RECORD_OUTCOME,    /* the outcome is known; the server has not taken it yet */
    OTA_DDI_RECORD_REPORTED,   /* the server took the final feedback (kept for status) */
};

struct ota_ddi_record {
    uint8_t state;                        /* enum ota_ddi_record_state */
    char action_id[OTA_DDI_ID_MAX + 1];
    char version[OTA_DDI_TEXT_MAX];       /* the app chunk's version */
    char slot[17];                        /* where the app went */
    uint32_t size;                        /* the installed image's size and SHA-256 */
    uint8_t sha256[OTA_SHA256_LEN];
    bool success;                         /* OUTCOME, REPORTED: the new app runs, confirmed */
    char reason[OTA_DDI_TEXT_MAX];        /* "trial confirmed", "rolled back: self-test failed" */
    bool has_config;                      /* the server took the device's attributes ... */
    uint8_t config[OTA_SHA256_LEN];       /* ... whose configData body had this SHA-256 */
};

#define OTA_DDI_RECORD_TEXT_MAX 512u

/* The record as text (one key=value a line, docs/ddi.md), and back.
 * Parse refuses (OTA_ERR_DDI_RECORD) anything but exactly that text: an
 * unknown, missing or repeated key, a bad value, a missing last newline. */
int ota_ddi_record_format(const struct ota_ddi_record *r, char *out, size_t cap, size_t *len);
int ota_ddi_record_parse(const char *text, size_t len, struct ota_ddi_record *r);
const char *ota_ddi_record_state_name(int state);

/* The record on flash, for ports without a file system: two copies in a
 * data partition of two sectors or more (docs/ddi.md), so a power cut
 * during a save leaves the previous record. load and save fit
 * ota_ddi_config's record_load/record_save with &store as record_ctx.
 * init: OTA_ERR_INVALID_ARG for a partition smaller than two sectors.
 * load: OTA_ERR_NOT_FOUND when no copy is valid (never saved, or the first
 * save was cut); the flash's errors. */
struct ota_ddi_store {
    const struct ota_flash *flash;
    const struct ota_partition *part;
    uint32_t seq;      /* of the newest valid copy */
    int current;       /* which copy holds it; -1: none */
};
int ota_ddi_store_init(struct ota_ddi_store *s, const struct ota_flash *flash, const struct ota_partition *part);
int ota_ddi_store_load(void *ctx, struct ota_ddi_record *r);
int ota_ddi_store_save(void *ctx, const struct ota_ddi_record *r);

/* ---- the client ----------------------------------------------------------- */

struct ota_ddi_config {
    const char *server;         /* "https://host[:port][/prefix]", no trailing slash */
    const char *tenant;
    const char *controller_id;
    const char *cert_pem;       /* CA for https; NULL: the system store */
    /* The pending-action record, kept by the port across restarts and power
     * cuts (written whole). load: OTA_ERR_NOT_FOUND when there is none. */
    int (*record_load)(void *ctx, struct ota_ddi_record *rec);
    int (*record_save)(void *ctx, const struct ota_ddi_record *rec);
    void *record_ctx;
    /* The app's say over the switch and the restart is the service's
     * (ota_service_config may_activate / may_restart): a deferred switch,
     * like a closed maintenance window, keeps the action open. */
};

struct ota_ddi_result {
    uint32_t sleep_s;        /* config.polling.sleep (0: the server named none) */
    bool reached;            /* the controller resource was read (the server answers, and sanely) */
    bool offered;            /* it linked a deployment (deploymentBase), whatever came of it */
    bool reported;           /* a final outcome was taken by the server this poll */
    bool cancelled;          /* a cancelAction was acknowledged */
    bool cancel_refused;     /* a cancelAction came after the switch: refused */
    bool config_sent;        /* the device's attributes were sent, and taken */
    bool confirmed;          /* an action waiting for confirmation (confirmationBase) was confirmed */
    char installed_action[OTA_DDI_ID_MAX + 1];  /* installedBase: the action the server knows installed */
    bool deployed;           /* a deployment was found */
    bool ran;                /* its items ran through the service */
    bool installed;          /* its artifacts are in flash; the app switched to */
    bool waiting;            /* postponed: maintenance window, skip, or the app said not now */
    bool reboot;             /* restart to boot the new app */
    int err;                 /* the deployment's error (OTA_OK when none) */
    const char *execution;   /* the last deploymentBase feedback the server took this poll ("proceeding", */
    const char *finished;    /* "closed", ...) and its result ("none", "success", "failure"); NULL: none */
    struct ota_ddi_deployment dep;
};

struct ota_ddi_client {
    struct ota_ddi_config cfg;
    struct ota_service *svc;
    struct ota_ddi_result *res;
    struct ota_ddi_record rec;
    bool have_rec;
    bool rec_unreadable;                /* the record could not be read this poll: a DDI install may wait */
    struct ota_service_config app;      /* the app's callbacks, while the client's wrap them */
    unsigned progress_step;             /* tenths of the action reported so far */
    bool progress_off;                  /* a progress report failed: no more for this action */
    char base[OTA_DDI_URI_MAX];         /* {server}/{tenant}/controller/v1/{id} */
    char deploy_uri[OTA_DDI_URI_MAX];   /* deploymentBase, else confirmationBase, else installedBase: */
    uint8_t deploy_link;                /* ... which one (enum in ddi_client.c) */
    char cancel_uri[OTA_DDI_URI_MAX];
    char config_uri[OTA_DDI_URI_MAX];
    char uri[OTA_DDI_URI_MAX];          /* scratch: feedback resources */
    char body[OTA_DDI_RESPONSE_MAX];
    size_t body_len;
    long status;                        /* of the last exchange */
    char req[OTA_DDI_REQUEST_MAX];
    struct ota_json_tok tok[OTA_DDI_TOKENS_MAX];
    struct ota_item items[OTA_DDI_MAX_ITEMS];
};

/* Check cfg (server, tenant and controller id present, URI within
 * OTA_DDI_URI_MAX). Errors: OTA_ERR_INVALID_ARG, OTA_ERR_TOO_LONG. */
int ota_ddi_init(struct ota_ddi_client *c, const struct ota_ddi_config *cfg);

/* One poll: read the controller resource; report a known outcome of an
 * earlier action (until the server takes it); answer a cancelAction; send
 * the device's attributes when configData is asked for or they changed
 * since the server took them; confirm an action that waits for it
 * (confirmationBase); install a deployment through svc (its transport must
 * have exchange), with proceeding progress reports; or note the action
 * installedBase names. Returns the
 * poll's own error (the controller resource unreachable or malformed); a
 * deployment's failure is in res->err and reported to the server. */
int ota_ddi_poll(struct ota_ddi_client *c, struct ota_service *svc, struct ota_ddi_result *res);

/* Both update paths configured (this DDI server and a signed release
 * manifest, ota/release.h): after ota_ddi_poll, is it the manifest's turn?
 * Yes when the controller resource could not be read or used
 * (unreachable, an HTTP error, malformed: the caller warns, with the poll's
 * error), or when it linked no deployment, and in either case only when no
 * DDI install waits for its restart or trial (the record, read before the
 * server is asked, says so; an unreadable record counts as one waiting); no when the server deployed something, whatever came of
 * it: one update path per poll, the server's first (docs/ddi.md). The
 * caller logs which (the host's `ota run` and the ESP-IDF example say the
 * same). */
enum ota_ddi_manifest_turn {
    OTA_DDI_MANIFEST_SKIP_DEPLOYED,        /* no: the server linked a deployment this poll */
    OTA_DDI_MANIFEST_SKIP_PENDING,         /* no: a DDI install waits for its restart or trial */
    OTA_DDI_MANIFEST_SKIP_RECORD,          /* no: the pending-action record is unreadable: one may wait */
    OTA_DDI_MANIFEST_RUN_UNREACHABLE,      /* yes: the server could not be read or used */
    OTA_DDI_MANIFEST_RUN_NOTHING_DEPLOYED, /* yes: the server has no deployment for this device */
};
#define OTA_DDI_MANIFEST_RUNS(turn) ((turn) >= OTA_DDI_MANIFEST_RUN_UNREACHABLE)
enum ota_ddi_manifest_turn ota_ddi_manifest_turn(const struct ota_ddi_client *c, const struct ota_ddi_result *res);

/* The portable outcome of an INSTALLED record: does the slot now run the
 * image the record names? (running: the app the device booted.) A port
 * that knows why a restart rolled back sets the reason itself. */
void ota_ddi_record_judge(struct ota_ddi_client *c, struct ota_ddi_record *rec);

#endif

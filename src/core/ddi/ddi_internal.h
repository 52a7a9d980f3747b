/* Inside the DDI client: shared by its files. */
#ifndef OTA_DDI_INTERNAL_H
#define OTA_DDI_INTERNAL_H

#include "ota/ddi.h"

/* An id the client puts into URIs: 1..OTA_DDI_ID_MAX decimal digits. */
int ota_ddi_get_id(const struct ota_json *j, int idx, char out[OTA_DDI_ID_MAX + 1]);

/* A bounded text builder: appends while there is room, remembers overflow. */
struct ota_ddi_text {
    char *p;
    size_t cap, len;
    bool over;
};
void ota_ddi_text_init(struct ota_ddi_text *t, char *buf, size_t cap);
void ota_ddi_put(struct ota_ddi_text *t, const char *s);
void ota_ddi_put_json_string(struct ota_ddi_text *t, const char *s);  /* quoted, escaped */
void ota_ddi_put_u64(struct ota_ddi_text *t, uint64_t v);
void ota_ddi_put_hex(struct ota_ddi_text *t, const uint8_t *b, size_t n);

/* Feedback to deploymentBase/{id}/feedback or cancelAction/{id}/feedback:
 * execution ("proceeding", "closed", "rejected", "downloaded"), finished
 * ("none", "success", "failure"), up to two detail lines. */
int ota_ddi_feedback(struct ota_ddi_client *c, const char *resource, const char *action_id, const char *execution,
                     const char *finished, const char *detail1, const char *detail2);

/* A proceeding feedback with hawkBit's progress {"cnt", "of"} in its result. */
int ota_ddi_progress(struct ota_ddi_client *c, const char *action_id, unsigned cnt, unsigned of, const char *detail);

/* GET uri into c->body and parse it into c->tok. */
int ota_ddi_get(struct ota_ddi_client *c, const char *uri, struct ota_json *j);

/* Install the deployment in c->res->dep through the service. */
int ota_ddi_install(struct ota_ddi_client *c);

#endif

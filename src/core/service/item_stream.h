/* Inside the service: an item's transfer, from the transport into a writer. */
#ifndef OTA_ITEM_STREAM_H
#define OTA_ITEM_STREAM_H

#include "ota/service.h"

/* Where the stream's bytes go: the app or data writer, seen alike. */
struct item_sink {
    int (*seek)(struct ota_item_work *w, uint64_t off);
    int (*write)(struct ota_item_work *w, const void *p, size_t n);
    int (*set_source)(struct ota_item_work *w, int64_t total, const char *validator);  /* >= 0: resumed bytes */
    uint32_t (*written)(const struct ota_item_work *w);
};

extern const char *const ota_tag_default;

/* Check the URI against the policy, then open it: from `offset` with
 * If-Range `validator` when an interrupted transfer can go on (NULL: from 0). */
int ota_item_open_first(struct ota_service *svc, struct ota_item *item, uint32_t offset, const char *validator);

/* After ota_item_open_first: tell the writer the source's length and validator
 * and position it where the stream starts. */
int ota_item_attach(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink);

/* Move the rest of the stream into the sink, reconnecting after drops and
 * starting over when the source changed. */
int ota_item_pump(struct ota_service *svc, struct ota_item *item, const struct item_sink *sink);

void ota_item_close(struct ota_service *svc);

/* The default procedures of each item type. */
void ota_item_app_ops(struct ota_item_ops *ops);
void ota_item_data_ops(struct ota_item_ops *ops);

#endif

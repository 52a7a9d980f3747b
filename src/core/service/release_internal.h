/* Inside the release item: its two halves. */
#ifndef OTA_RELEASE_INTERNAL_H
#define OTA_RELEASE_INTERNAL_H

#include "ota/release.h"

/* Fetch, verify and parse the manifest, inspect the running app, decide,
 * and keep the accepted serial. Fills r->manifest and r->decision. */
int ota_release_decide(struct ota_service *svc, struct ota_item *item, struct ota_release_item *r);

#endif

/* ota run --ddi: the device polls a hawkBit DDI server once. */
#ifndef OTA_CLI_RUN_DDI_H
#define OTA_CLI_RUN_DDI_H

#include <stdbool.h>

#include "ota/ddi.h"
#include "ota/host_transport.h"
#include "run_report.h"

struct run_ddi_args {
    const char *url, *tenant, *controller_id, *token, *gateway_token;
};

struct run_ddi {
    struct ota_ddi_client client;
    struct ota_ddi_result res;
    char auth[300];
    int poll_err;
    bool polled;
    bool manifest_ran;  /* --manifest too: the DDI server had nothing (or could not be reached) */
    bool fell_back;     /* ... it could not be reached: its error is logged, not the run's */
    bool unusable;      /* the DDI settings themselves are wrong (the client refused them) */
};

/* The option-table rows of `ota run` for these args. */
#define RUN_DDI_OPTIONS(d)                                                                                          \
    CLI_VALUE_D("ddi", &(d)->url, "URL",                                                                        \
                "poll a hawkBit DDI server (https://host[:port]) once and install what it deploys "             \
                "(instead of --app/--data; with --manifest, the server first)", "none"),                                               \
    CLI_VALUE_D("tenant", &(d)->tenant, "T", "the DDI tenant", "DEFAULT"),                                    \
    CLI_VALUE_D("controller-id", &(d)->controller_id, "ID", "this device's DDI controller id (required with --ddi)", \
                "none"),                                                                                        \
    CLI_VALUE_D("token", &(d)->token, "TOKEN", "DDI target security token (Authorization: TargetToken)", "none"), \
    CLI_VALUE_D("gateway-token", &(d)->gateway_token, "TOKEN",                                                  \
                "DDI gateway security token (Authorization: GatewayToken)", "none")

/* Usage checks of the DDI options against the others (reports its errors). */
bool run_ddi_args_ok(const struct run_ddi_args *a, bool other_items);

/* Set up the client and the transport's credentials, then poll once
 * through svc; the report learns the deployment's items. Returns CLI_OK,
 * or CLI_USAGE / CLI_FAIL after reporting. */
int run_ddi_poll(struct run_ddi *d, const struct run_ddi_args *a, const char *image, const char *ca_pem,
                 struct ota_host_transport *ht, struct ota_service *svc, struct run_report *rep);

/* With --manifest too, after the poll: does the release manifest run now?
 * The core's rule (ota_ddi_manifest_turn, the same on ESP-IDF); never when
 * the DDI settings themselves were refused. */
bool run_ddi_manifest_turn(struct run_ddi *d);

/* After the restart that followed an install: what the restart tells about
 * the outcome, kept in the record for the next poll to report. This is the
 * one place that reads the emulated restart's result. */
void run_ddi_after_restart(struct run_ddi *d, const char *image, bool restarted, const struct cli_boot_report *boot);

/* The run's exit status with the poll's own error folded in. */
int run_ddi_status(const struct run_ddi *d, int status);

#endif

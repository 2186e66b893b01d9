/*
 * ordp-health-check: calls grpc.health.v1.Health/Check on an ORDP/1 server with the C client.
 *
 *   ordp-health-check --host 127.0.0.1 --port 7443 --ca ca.pem [--service NAME]
 *                     [--cert client.pem --key client-key.pem] [--server-name localhost]
 *                     [--plaintext]
 *
 * Prints the serving status and exits 0 when SERVING, 1 otherwise, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "ordp_client.h"

static void usage(void) {
  fprintf(stderr, "usage: ordp-health-check --host H --port P [--ca FILE] [--service NAME]\n"
                  "       [--cert FILE --key FILE] [--server-name NAME] [--plaintext]\n");
}

int main(int argc, char **argv) {
  ordp_options o = {0};
  const char *service = "";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--plaintext")) { o.plaintext = 1; continue; }
    if (!v) { usage(); return 2; }
    if (!strcmp(a, "--host")) o.host = v;
    else if (!strcmp(a, "--port")) o.port = atoi(v);
    else if (!strcmp(a, "--ca")) o.ca_file = v;
    else if (!strcmp(a, "--cert")) o.cert_file = v;
    else if (!strcmp(a, "--key")) o.key_file = v;
    else if (!strcmp(a, "--server-name")) o.server_name = v;
    else if (!strcmp(a, "--service")) service = v;
    else { usage(); return 2; }
    i++;
  }
  if (!o.host || !o.port) { usage(); return 2; }

  ordp_status st;
  ordp_conn *conn = NULL;
  if (ordp_connect(&o, &conn, &st) != ORDP_OK) {
    fprintf(stderr, "connect failed: status %u: %s\n", st.code, st.message);
    return 1;
  }
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)service;
  ProtobufCMessage *resp = NULL;
  ordp_call_options call = {.timeout_micros = 5000000};
  uint32_t code = ordp_unary(conn, "/grpc.health.v1.Health/Check", &req.base,
                             &grpc__health__v1__health_check_response__descriptor, &resp, &call, &st);
  if (code != ORDP_OK) {
    fprintf(stderr, "Check failed: status %u: %s\n", st.code, st.message);
    ordp_close(conn);
    return 1;
  }
  Grpc__Health__V1__HealthCheckResponse *r = (Grpc__Health__V1__HealthCheckResponse *)resp;
  const ProtobufCEnumValue *name = protobuf_c_enum_descriptor_get_value(
      &grpc__health__v1__health_check_response__serving_status__descriptor, r->status);
  printf("%s: %s (server agent %s)\n", *service ? service : "(server)", name ? name->name : "?",
         ordp_server_agent(conn));
  int serving = r->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  protobuf_c_message_free_unpacked(resp, NULL);
  ordp_close(conn);
  return serving ? 0 : 1;
}

/*
 * ordp-push-observations: a sensor gateway in C (protobuf-c + OpenSSL through the C client):
 * exchanges its town's API key for a token, then pushes readings to a datastream through the
 * gateway and prints what analytics made durable.
 *
 *   ordp-push-observations --host 127.0.0.1 --port 7443 --ca ca.pem \
 *       --api-key-file key.txt --stream demo-soest-water-level < readings
 *
 * Readings on standard input, one per line: "<unix seconds> <value>". They go in one Ingest
 * batch: HEADERS and the batch with END_STREAM, one acknowledgement back, as a unary call is
 * written (docs/WIRE.md, section 4). Exit code 0 when every reading was accepted or was a
 * duplicate, 1 otherwise, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordp/analytics/v1/analytics.pb-c.h"
#include "ordp/identity/v1/identity.pb-c.h"
#include "ordp_client.h"

#define MAX_READINGS 100000

static void usage(void) {
  fprintf(stderr, "usage: ordp-push-observations --host H --port P --api-key-file FILE --stream ID\n"
                  "       [--ca FILE] [--server-name NAME] < readings (\"<unix seconds> <value>\")\n");
}

int main(int argc, char **argv) {
  ordp_options o = {0};
  const char *key_file = NULL, *stream = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--host")) o.host = v;
    else if (!strcmp(a, "--port")) o.port = atoi(v);
    else if (!strcmp(a, "--ca")) o.ca_file = v;
    else if (!strcmp(a, "--server-name")) o.server_name = v;
    else if (!strcmp(a, "--api-key-file")) key_file = v;
    else if (!strcmp(a, "--stream")) stream = v;
    else { usage(); return 2; }
  }
  if (argc % 2 == 0 || !o.host || o.port <= 0 || o.port > 65535 || !key_file || !stream) {
    usage();
    return 2;
  }

  /* The readings: bounded, each line checked. */
  static int64_t times[MAX_READINGS];
  static double values[MAX_READINGS];
  size_t count = 0;
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    long long seconds;
    double value;
    if (sscanf(line, "%lld %lf", &seconds, &value) != 2 || seconds < 0 || seconds > 253402300799LL) {
      fprintf(stderr, "not \"<unix seconds> <value>\": %s", line);
      return 2;
    }
    if (count == MAX_READINGS) {
      fprintf(stderr, "at most %d readings per run\n", MAX_READINGS);
      return 2;
    }
    times[count] = (int64_t)seconds * 1000000;
    values[count] = value;
    count++;
  }

  char key[512] = {0};
  FILE *f = fopen(key_file, "r");
  if (!f || !fgets(key, sizeof key, f)) {
    fprintf(stderr, "cannot read %s\n", key_file);
    if (f) fclose(f);
    return 2;
  }
  fclose(f);
  key[strcspn(key, "\r\n")] = 0;

  ordp_status st;
  ordp_conn *conn = NULL;
  if (ordp_connect(&o, &conn, &st) != ORDP_OK) {
    fprintf(stderr, "connect failed: status %u: %s\n", st.code, st.message);
    return 1;
  }

  /* 1. The API key becomes a short-lived access token. */
  Ordp__Identity__V1__ExchangeApiKeyRequest exchange = ORDP__IDENTITY__V1__EXCHANGE_API_KEY_REQUEST__INIT;
  exchange.api_key = key;
  ProtobufCMessage *response = NULL;
  ordp_call_options call = {.timeout_micros = 10000000};
  if (ordp_unary(conn, "/ordp.identity.v1.Identity/ExchangeApiKey", &exchange.base,
                 &ordp__identity__v1__token_response__descriptor, &response, &call, &st) != ORDP_OK) {
    fprintf(stderr, "ExchangeApiKey failed: status %u: %s\n", st.code, st.message);
    ordp_close(conn);
    return 1;
  }
  Ordp__Identity__V1__TokenResponse *token = (Ordp__Identity__V1__TokenResponse *)response;
  printf("token for %s\n", token->subject);
  char authorization[4096];
  snprintf(authorization, sizeof authorization, "Bearer %s", token->access_token);
  protobuf_c_message_free_unpacked(response, NULL);

  /* 2. One batch, acknowledged once durable. */
  Ordp__Analytics__V1__Series series = ORDP__ANALYTICS__V1__SERIES__INIT;
  series.datastream_id = (char *)stream;
  series.n_times_micros = count;
  series.times_micros = times;
  series.n_results = count;
  series.results = values;
  Ordp__Analytics__V1__Series *list[1] = {&series};
  Ordp__Analytics__V1__IngestBatch batch = ORDP__ANALYTICS__V1__INGEST_BATCH__INIT;
  batch.batch_id = 1;
  batch.n_series = 1;
  batch.series = list;
  ordp_metadata metadata[1] = {{"authorization", authorization}};
  call.metadata = metadata;
  call.metadata_count = 1;
  if (ordp_unary(conn, "/ordp.analytics.v1.Analytics/Ingest", &batch.base,
                 &ordp__analytics__v1__ingest_ack__descriptor, &response, &call, &st) != ORDP_OK) {
    fprintf(stderr, "Ingest failed: status %u: %s\n", st.code, st.message);
    ordp_close(conn);
    return 1;
  }
  Ordp__Analytics__V1__IngestAck *ack = (Ordp__Analytics__V1__IngestAck *)response;
  printf("batch %llu: accepted %llu, duplicates %llu, rejected %llu\n",
         (unsigned long long)ack->batch_id, (unsigned long long)ack->accepted,
         (unsigned long long)ack->duplicates, (unsigned long long)ack->rejected);
  for (size_t i = 0; i < ack->n_rejections; i++) {
    printf("rejected item %u: %s\n", ack->rejections[i]->item_index, ack->rejections[i]->message);
  }
  int ok = ack->rejected == 0;
  protobuf_c_message_free_unpacked(response, NULL);
  ordp_close(conn);
  return ok ? 0 : 1;
}

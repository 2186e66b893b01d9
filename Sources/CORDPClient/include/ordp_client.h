/*
 * ordp_client.h — the ORDP/1 client library for C integrators.
 *
 * Speaks ORDP/1 (docs/WIRE.md) over TLS with OpenSSL, messages with protobuf-c. One
 * connection runs one call at a time (calls are sequential; open several connections for
 * parallelism). Every function reports its outcome as an ORDP status code (0 = OK, 1..16 as in
 * gRPC) and fills an ordp_status with the code and a readable message. Transport failures are
 * reported as ORDP_UNAVAILABLE (14), local misuse as ORDP_INVALID_ARGUMENT (3).
 */
#ifndef ORDP_CLIENT_H
#define ORDP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  ORDP_OK = 0,
  ORDP_CANCELLED = 1,
  ORDP_UNKNOWN = 2,
  ORDP_INVALID_ARGUMENT = 3,
  ORDP_DEADLINE_EXCEEDED = 4,
  ORDP_NOT_FOUND = 5,
  ORDP_PERMISSION_DENIED = 7,
  ORDP_RESOURCE_EXHAUSTED = 8,
  ORDP_UNIMPLEMENTED = 12,
  ORDP_INTERNAL = 13,
  ORDP_UNAVAILABLE = 14,
  ORDP_UNAUTHENTICATED = 16
};

/* The outcome of an operation. */
typedef struct {
  uint32_t code;       /* 0 = OK */
  char message[512];   /* readable reason, "" on success */
} ordp_status;

/* How to connect. Zero-initialise, then set what you need. */
typedef struct {
  const char *host;          /* required, e.g. "127.0.0.1" or "catalogue.example" */
  int port;                  /* required */
  const char *ca_file;       /* PEM trust roots for the server; NULL: the system's */
  const char *server_name;   /* name checked against the certificate and sent as SNI;
                                NULL: host */
  int skip_hostname_check;   /* 1: verify the chain but not the name (e.g. IP literals) */
  const char *cert_file;     /* client certificate (PEM) for mutual TLS, optional */
  const char *key_file;      /* its private key (PEM) */
  int plaintext;             /* 1: no TLS — only for servers configured for it (tests) */
  int io_timeout_ms;         /* connect and per-read/-write timeout; 0: 10000 */
  const char *agent;         /* sent in HELLO; NULL: "ordp-c/0.1" */
} ordp_options;

/* One metadata entry (text values only). */
typedef struct {
  const char *key;    /* lower-case ASCII */
  const char *value;
} ordp_metadata;

/* Per-call options; NULL means none. */
typedef struct {
  uint64_t timeout_micros;          /* 0: no deadline */
  const ordp_metadata *metadata;
  size_t metadata_count;
} ordp_call_options;

typedef struct ordp_conn ordp_conn;
typedef struct ordp_stream ordp_stream;

/* Connects, completes TLS (ALPN "ordp/1") and exchanges HELLO. */
uint32_t ordp_connect(const ordp_options *options, ordp_conn **out, ordp_status *status);

/* Closes the connection and frees it. NULL is fine. */
void ordp_close(ordp_conn *conn);

/* A unary call. On OK, *response is unpacked with response_type and must be freed with
 * protobuf_c_message_free_unpacked(*response, NULL). */
uint32_t ordp_unary(ordp_conn *conn, const char *method, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_type, ProtobufCMessage **response,
                    const ordp_call_options *call, ordp_status *status);

/* Starts a server-streaming call. Read it with ordp_stream_next, then ordp_stream_free. */
uint32_t ordp_server_stream(ordp_conn *conn, const char *method, const ProtobufCMessage *request,
                            const ordp_call_options *call, ordp_stream **out, ordp_status *status);

/* The next response of a stream: returns 1 with *message set (free it with
 * protobuf_c_message_free_unpacked), or 0 at the end with the call's final status in *status
 * (status->code 0 for OK). */
int ordp_stream_next(ordp_stream *stream, const ProtobufCMessageDescriptor *message_type,
                     ProtobufCMessage **message, ordp_status *status);

/* Frees a stream; cancels the call if it has not ended. */
void ordp_stream_free(ordp_stream *stream);

/* The server's agent string from its HELLO ("" before it arrived). */
const char *ordp_server_agent(const ordp_conn *conn);

#ifdef __cplusplus
}
#endif
#endif

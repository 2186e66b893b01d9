/* ordp_client.c — ORDP/1 client for C: OpenSSL for TLS, protobuf-c for messages. */
#define _POSIX_C_SOURCE 200809L
#include "ordp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ordp/rpc/v1/wire.pb-c.h"

enum {
  FRAME_HELLO = 0, FRAME_HEADERS = 1, FRAME_MESSAGE = 2, FRAME_TRAILERS = 3, FRAME_CANCEL = 4,
  FRAME_PING = 5, FRAME_GOAWAY = 6, FRAME_WINDOW_UPDATE = 7
};
enum { FLAG_END_STREAM = 1, FLAG_ACK = 1 };
enum { HEADER_SIZE = 10 };
static const uint32_t LOCAL_MAX_FRAME = 4194304;
static const uint32_t LOCAL_WINDOW = 1048576;

struct ordp_conn {
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
  int io_timeout_ms;
  uint32_t next_stream;
  uint32_t peer_max_frame;
  int hello_received;
  int goaway;
  uint32_t goaway_last;
  int broken;
  int busy;
  char agent[128];
  uint8_t *payload;
  size_t payload_cap;
};

struct ordp_stream {
  ordp_conn *conn;
  uint32_t id;
  int done;
  uint64_t deadline_ms;
  uint64_t consumed;
};

typedef struct {
  uint8_t type, flags;
  uint32_t stream, length;
} frame_header;

/* ---------- helpers ---------- */

static uint32_t set_status(ordp_status *s, uint32_t code, const char *fmt, ...) {
  if (s) {
    s->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->message, sizeof s->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *ssl_error_string(void) {
  static __thread char buf[256];
  unsigned long e = ERR_get_error();
  if (!e) return "unknown TLS error";
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

/* ---------- raw I/O ---------- */

/* Waits until fd is readable/writable or the time runs out; 1 ready, 0 timeout, -1 error. */
static int wait_fd(ordp_conn *c, short events, uint64_t deadline_ms) {
  int timeout = c->io_timeout_ms;
  if (deadline_ms) {
    uint64_t now = now_ms();
    int left = deadline_ms > now ? (int)(deadline_ms - now) : 0;
    if (left < timeout) timeout = left;
  }
  struct pollfd p = {.fd = c->fd, .events = events};
  int r;
  do { r = poll(&p, 1, timeout); } while (r < 0 && errno == EINTR);
  return r;
}

static uint32_t io_write(ordp_conn *c, const uint8_t *data, size_t len, ordp_status *st) {
  while (len > 0) {
    int n;
    if (c->ssl) {
      n = SSL_write(c->ssl, data, (int)len);
      if (n <= 0) {
        c->broken = 1;
        return set_status(st, ORDP_UNAVAILABLE, "TLS write failed: %s", ssl_error_string());
      }
    } else {
      n = (int)send(c->fd, data, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        c->broken = 1;
        return set_status(st, ORDP_UNAVAILABLE, "write failed: %s", strerror(errno));
      }
    }
    data += n;
    len -= (size_t)n;
  }
  return ORDP_OK;
}

/* Reads exactly len bytes; ORDP_DEADLINE_EXCEEDED when deadline_ms passes first. */
static uint32_t io_read(ordp_conn *c, uint8_t *data, size_t len, uint64_t deadline_ms, ordp_status *st) {
  while (len > 0) {
    if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
      int r = wait_fd(c, POLLIN, deadline_ms);
      if (r == 0) {
        if (deadline_ms && now_ms() >= deadline_ms)
          return set_status(st, ORDP_DEADLINE_EXCEEDED, "deadline exceeded");
        c->broken = 1;
        return set_status(st, ORDP_UNAVAILABLE, "read timed out after %d ms", c->io_timeout_ms);
      }
      if (r < 0) {
        c->broken = 1;
        return set_status(st, ORDP_UNAVAILABLE, "poll failed: %s", strerror(errno));
      }
    }
    int n;
    if (c->ssl) {
      n = SSL_read(c->ssl, data, (int)len);
      if (n <= 0) {
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
        c->broken = 1;
        return set_status(st, ORDP_UNAVAILABLE, "connection closed by the server (%s)",
                          e == SSL_ERROR_ZERO_RETURN ? "TLS close" : ssl_error_string());
      }
    } else {
      n = (int)recv(c->fd, data, len, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        c->broken = 1;
        return set_status(st, ORDP_UNAVAILABLE, "connection closed by the server");
      }
    }
    data += n;
    len -= (size_t)n;
  }
  return ORDP_OK;
}

/* ---------- frames ---------- */

static uint32_t write_frames(ordp_conn *c, const uint8_t *buf, size_t len, ordp_status *st) {
  return io_write(c, buf, len, st);
}

/* Appends a frame whose payload is a packed message (or raw bytes when msg is NULL). */
static uint8_t *append_frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t stream,
                             const ProtobufCMessage *msg, const uint8_t *raw, size_t raw_len) {
  size_t len = msg ? protobuf_c_message_get_packed_size(msg) : raw_len;
  put_u32(out, (uint32_t)len);
  out[4] = type;
  out[5] = flags;
  put_u32(out + 6, stream);
  if (msg) protobuf_c_message_pack(msg, out + HEADER_SIZE);
  else if (raw_len) memcpy(out + HEADER_SIZE, raw, raw_len);
  return out + HEADER_SIZE + len;
}

static size_t frame_size(const ProtobufCMessage *msg, size_t raw_len) {
  return HEADER_SIZE + (msg ? protobuf_c_message_get_packed_size(msg) : raw_len);
}

static uint32_t send_frame(ordp_conn *c, uint8_t type, uint8_t flags, uint32_t stream,
                           const ProtobufCMessage *msg, const uint8_t *raw, size_t raw_len,
                           ordp_status *st) {
  size_t size = frame_size(msg, raw_len);
  uint8_t *buf = malloc(size);
  if (!buf) return set_status(st, ORDP_RESOURCE_EXHAUSTED, "out of memory");
  append_frame(buf, type, flags, stream, msg, raw, raw_len);
  uint32_t r = write_frames(c, buf, size, st);
  free(buf);
  return r;
}

static void send_goaway(ordp_conn *c, uint32_t code, const char *message) {
  Ordp__Rpc__V1__GoAway g = ORDP__RPC__V1__GO_AWAY__INIT;
  g.code = code;
  g.message = (char *)message;
  ordp_status ignored;
  send_frame(c, FRAME_GOAWAY, 0, 0, &g.base, NULL, 0, &ignored);
  c->broken = 1;
}

/* Reads the next frame into c->payload, answering PINGs and noting HELLO and GOAWAY
 * (callers skip frames that are not theirs). */
static uint32_t read_frame(ordp_conn *c, frame_header *h, uint64_t deadline_ms, ordp_status *st) {
  for (;;) {
    uint8_t hdr[HEADER_SIZE];
    uint32_t r = io_read(c, hdr, sizeof hdr, deadline_ms, st);
    if (r) return r;
    h->length = get_u32(hdr);
    h->type = hdr[4];
    h->flags = hdr[5];
    h->stream = get_u32(hdr + 6);
    if (h->length > LOCAL_MAX_FRAME) {
      send_goaway(c, 4, "frame exceeds max_frame_size");
      return set_status(st, ORDP_INTERNAL, "server sent a frame of %u bytes (limit %u)",
                        h->length, LOCAL_MAX_FRAME);
    }
    if (h->length > c->payload_cap) {
      uint8_t *p = realloc(c->payload, h->length);
      if (!p) return set_status(st, ORDP_RESOURCE_EXHAUSTED, "out of memory");
      c->payload = p;
      c->payload_cap = h->length;
    }
    if (h->length && (r = io_read(c, c->payload, h->length, deadline_ms, st))) return r;

    if (h->type == FRAME_PING && h->stream == 0) {
      if (!(h->flags & FLAG_ACK)) {
        if ((r = send_frame(c, FRAME_PING, FLAG_ACK, 0, NULL, c->payload, h->length, st))) return r;
      }
      continue;
    }
    if (h->type == FRAME_HELLO) {
      Ordp__Rpc__V1__Hello *hello = ordp__rpc__v1__hello__unpack(NULL, h->length, c->payload);
      if (!hello) {
        send_goaway(c, 1, "undecodable HELLO");
        return set_status(st, ORDP_INTERNAL, "server sent an undecodable HELLO");
      }
      c->hello_received = 1;
      c->peer_max_frame = hello->max_frame_size ? hello->max_frame_size : 4194304;
      snprintf(c->agent, sizeof c->agent, "%s", hello->agent ? hello->agent : "");
      ordp__rpc__v1__hello__free_unpacked(hello, NULL);
      return ORDP_OK;
    }
    if (h->type == FRAME_GOAWAY) {
      Ordp__Rpc__V1__GoAway *g = ordp__rpc__v1__go_away__unpack(NULL, h->length, c->payload);
      c->goaway = 1;
      c->goaway_last = g ? g->last_stream_id : 0;
      if (!g || g->code != 0) c->broken = 1;
      if (g) ordp__rpc__v1__go_away__free_unpacked(g, NULL);
    }
    return ORDP_OK;
  }
}

/* ---------- connect ---------- */

static uint32_t tcp_connect(ordp_conn *c, const char *host, int port, ordp_status *st) {
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL;
  int e = getaddrinfo(host, portstr, &hints, &res);
  if (e) return set_status(st, ORDP_UNAVAILABLE, "cannot resolve %s: %s", host, gai_strerror(e));
  uint32_t code = ORDP_UNAVAILABLE;
  set_status(st, ORDP_UNAVAILABLE, "cannot connect to %s:%d", host, port);
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      c->fd = fd;
      if (wait_fd(c, POLLOUT, 0) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err ? -1 : 0;
        if (err) set_status(st, ORDP_UNAVAILABLE, "cannot connect to %s:%d: %s", host, port, strerror(err));
      } else {
        set_status(st, ORDP_UNAVAILABLE, "connect to %s:%d timed out", host, port);
      }
    }
    if (r == 0) {
      fcntl(fd, F_SETFL, flags);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c->fd = fd;
      code = ORDP_OK;
      break;
    }
    close(fd);
    c->fd = -1;
  }
  freeaddrinfo(res);
  return code == ORDP_OK ? set_status(st, ORDP_OK, "") : code;
}

static uint32_t tls_setup(ordp_conn *c, const ordp_options *o, ordp_status *st) {
  c->ctx = SSL_CTX_new(TLS_client_method());
  if (!c->ctx) return set_status(st, ORDP_INTERNAL, "SSL_CTX_new: %s", ssl_error_string());
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  if (o->ca_file) {
    if (SSL_CTX_load_verify_locations(c->ctx, o->ca_file, NULL) != 1)
      return set_status(st, ORDP_INVALID_ARGUMENT, "cannot load CA file %s: %s", o->ca_file, ssl_error_string());
  } else {
    SSL_CTX_set_default_verify_paths(c->ctx);
  }
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
  if (o->cert_file) {
    if (SSL_CTX_use_certificate_chain_file(c->ctx, o->cert_file) != 1)
      return set_status(st, ORDP_INVALID_ARGUMENT, "cannot load certificate %s: %s", o->cert_file, ssl_error_string());
    if (SSL_CTX_use_PrivateKey_file(c->ctx, o->key_file ? o->key_file : o->cert_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ctx) != 1)
      return set_status(st, ORDP_INVALID_ARGUMENT, "cannot load private key: %s", ssl_error_string());
  }
  static const unsigned char alpn[] = {6, 'o', 'r', 'd', 'p', '/', '1'};
  SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof alpn);
  c->ssl = SSL_new(c->ctx);
  SSL_set_fd(c->ssl, c->fd);
  const char *name = o->server_name ? o->server_name : o->host;
  unsigned char ip[16];
  int is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(c->ssl, name);
  if (!o->skip_hostname_check) {
    X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name) : X509_VERIFY_PARAM_set1_host(param, name, 0);
    if (ok != 1) return set_status(st, ORDP_INVALID_ARGUMENT, "invalid server name %s", name);
  }
  if (wait_fd(c, POLLOUT, 0) != 1 || SSL_connect(c->ssl) != 1) {
    long v = SSL_get_verify_result(c->ssl);
    if (v != X509_V_OK)
      return set_status(st, ORDP_UNAVAILABLE, "TLS handshake failed: certificate verification: %s",
                        X509_verify_cert_error_string(v));
    return set_status(st, ORDP_UNAVAILABLE, "TLS handshake failed: %s", ssl_error_string());
  }
  const unsigned char *proto = NULL;
  unsigned int proto_len = 0;
  SSL_get0_alpn_selected(c->ssl, &proto, &proto_len);
  if (proto_len != 6 || memcmp(proto, "ordp/1", 6) != 0)
    return set_status(st, ORDP_UNAVAILABLE, "server did not agree to ALPN ordp/1");
  return ORDP_OK;
}

uint32_t ordp_connect(const ordp_options *o, ordp_conn **out, ordp_status *st) {
  if (!o || !o->host || o->port <= 0 || o->port > 65535 || !out)
    return set_status(st, ORDP_INVALID_ARGUMENT, "host and a port in 1...65535 are required");
  ordp_conn *c = calloc(1, sizeof *c);
  if (!c) return set_status(st, ORDP_RESOURCE_EXHAUSTED, "out of memory");
  c->fd = -1;
  c->io_timeout_ms = o->io_timeout_ms > 0 ? o->io_timeout_ms : 10000;
  c->next_stream = 1;
  c->peer_max_frame = 4194304;
  uint32_t r = tcp_connect(c, o->host, o->port, st);
  if (!r && !o->plaintext) r = tls_setup(c, o, st);
  if (!r) {
    Ordp__Rpc__V1__Hello hello = ORDP__RPC__V1__HELLO__INIT;
    hello.version = 1;
    hello.max_frame_size = LOCAL_MAX_FRAME;
    hello.max_concurrent_streams = 1;
    hello.initial_window_size = LOCAL_WINDOW;
    hello.agent = (char *)(o->agent ? o->agent : "ordp-c/0.1");
    r = send_frame(c, FRAME_HELLO, 0, 0, &hello.base, NULL, 0, st);
  }
  while (!r && !c->hello_received) {
    frame_header h;
    r = read_frame(c, &h, now_ms() + (uint64_t)c->io_timeout_ms, st);
    if (!r && h.type == FRAME_GOAWAY) r = set_status(st, ORDP_UNAVAILABLE, "server refused the connection (GOAWAY)");
    else if (!r && !c->hello_received) r = set_status(st, ORDP_INTERNAL, "server's first frame was not HELLO");
  }
  if (r) {
    ordp_close(c);
    return r;
  }
  *out = c;
  return set_status(st, ORDP_OK, "");
}

void ordp_close(ordp_conn *c) {
  if (!c) return;
  if (c->ssl) {
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
  }
  if (c->ctx) SSL_CTX_free(c->ctx);
  if (c->fd >= 0) close(c->fd);
  free(c->payload);
  free(c);
}

const char *ordp_server_agent(const ordp_conn *c) { return c ? c->agent : ""; }

/* ---------- calls ---------- */

static uint32_t start_call(ordp_conn *c, const char *method, const ProtobufCMessage *request,
                           const ordp_call_options *call, uint32_t *id, ordp_status *st) {
  if (!c || !method || !request) return set_status(st, ORDP_INVALID_ARGUMENT, "connection, method and request are required");
  if (c->busy) return set_status(st, ORDP_INVALID_ARGUMENT, "a stream is still open on this connection");
  if (c->broken) return set_status(st, ORDP_UNAVAILABLE, "connection is broken; reconnect");
  if (c->goaway) return set_status(st, ORDP_UNAVAILABLE, "server is going away; reconnect");
  if (c->next_stream == 0) return set_status(st, ORDP_UNAVAILABLE, "stream ids exhausted; reconnect");
  size_t msg_size = protobuf_c_message_get_packed_size(request);
  if (msg_size > c->peer_max_frame)
    return set_status(st, ORDP_RESOURCE_EXHAUSTED, "request of %zu bytes exceeds the server's max_frame_size %u", msg_size, c->peer_max_frame);

  Ordp__Rpc__V1__RequestHeaders headers = ORDP__RPC__V1__REQUEST_HEADERS__INIT;
  headers.method = (char *)method;
  size_t n = call ? call->metadata_count : 0;
  Ordp__Rpc__V1__MetadataEntry *entries = n ? calloc(n, sizeof *entries) : NULL;
  Ordp__Rpc__V1__MetadataEntry **ptrs = n ? calloc(n, sizeof *ptrs) : NULL;
  for (size_t i = 0; i < n; i++) {
    ordp__rpc__v1__metadata_entry__init(&entries[i]);
    entries[i].key = (char *)call->metadata[i].key;
    entries[i].value_case = ORDP__RPC__V1__METADATA_ENTRY__VALUE_TEXT;
    entries[i].text = (char *)call->metadata[i].value;
    ptrs[i] = &entries[i];
  }
  headers.n_metadata = n;
  headers.metadata = ptrs;
  headers.timeout_micros = call ? call->timeout_micros : 0;

  *id = c->next_stream;
  c->next_stream = c->next_stream == UINT32_MAX ? 0 : c->next_stream + 1;
  size_t size = frame_size(&headers.base, 0) + HEADER_SIZE + msg_size;
  uint8_t *buf = malloc(size);
  uint32_t r;
  if (!buf) {
    r = set_status(st, ORDP_RESOURCE_EXHAUSTED, "out of memory");
  } else {
    uint8_t *p = append_frame(buf, FRAME_HEADERS, 0, *id, &headers.base, NULL, 0);
    append_frame(p, FRAME_MESSAGE, FLAG_END_STREAM, *id, request, NULL, 0);
    r = write_frames(c, buf, size, st); /* both request frames in one write */
    free(buf);
  }
  free(entries);
  free(ptrs);
  return r;
}

/* Handles one frame of call `id`: 1 message ready in c->payload, 0 call ended (status set),
 * 2 keep reading, or an error status code + 10 when the transport failed. */
static int on_call_frame(ordp_conn *c, uint32_t id, const frame_header *h, ordp_status *st) {
  if (h->type == FRAME_GOAWAY) {
    if (id > c->goaway_last) {
      set_status(st, ORDP_UNAVAILABLE, "call not processed: server is going away");
      return 0;
    }
    return 2;
  }
  if (h->stream != id) return 2;
  switch (h->type) {
  case FRAME_MESSAGE:
    return 1;
  case FRAME_TRAILERS:
  case FRAME_CANCEL: {
    Ordp__Rpc__V1__Status *s = ordp__rpc__v1__status__unpack(NULL, h->length, c->payload);
    if (!s) {
      set_status(st, ORDP_INTERNAL, "undecodable status from the server");
    } else {
      uint32_t code = s->code;
      if (h->type == FRAME_CANCEL && code == 0) code = ORDP_CANCELLED;
      set_status(st, code, "%s", s->message ? s->message : "");
      ordp__rpc__v1__status__free_unpacked(s, NULL);
    }
    return 0;
  }
  default:
    return 2; /* HEADERS, WINDOW_UPDATE, unknown types */
  }
}

static void cancel_call(ordp_conn *c, uint32_t id, uint32_t code, const char *message) {
  Ordp__Rpc__V1__Status s = ORDP__RPC__V1__STATUS__INIT;
  s.code = code;
  s.message = (char *)message;
  ordp_status ignored;
  send_frame(c, FRAME_CANCEL, 0, id, &s.base, NULL, 0, &ignored);
}

static uint64_t deadline_for(const ordp_call_options *call) {
  return call && call->timeout_micros ? now_ms() + call->timeout_micros / 1000 + 1 : 0;
}

uint32_t ordp_unary(ordp_conn *c, const char *method, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_type, ProtobufCMessage **response,
                    const ordp_call_options *call, ordp_status *st) {
  if (!response_type || !response) return set_status(st, ORDP_INVALID_ARGUMENT, "response_type and response are required");
  *response = NULL;
  uint32_t id;
  uint32_t r = start_call(c, method, request, call, &id, st);
  if (r) return r;
  uint64_t deadline = deadline_for(call);
  ProtobufCMessage *got = NULL;
  for (;;) {
    frame_header h;
    r = read_frame(c, &h, deadline, st);
    if (r == ORDP_DEADLINE_EXCEEDED) cancel_call(c, id, ORDP_DEADLINE_EXCEEDED, "deadline exceeded");
    if (r) break;
    int k = on_call_frame(c, id, &h, st);
    if (k == 2) continue;
    if (k == 1) {
      if (got) {
        cancel_call(c, id, ORDP_INTERNAL, "more than one response message");
        r = set_status(st, ORDP_INTERNAL, "server sent more than one response message");
        break;
      }
      got = protobuf_c_message_unpack(response_type, NULL, h.length, c->payload);
      if (!got) {
        cancel_call(c, id, ORDP_INTERNAL, "undecodable response");
        r = set_status(st, ORDP_INTERNAL, "response does not decode as %s", response_type->name);
        break;
      }
      continue;
    }
    r = st ? st->code : ORDP_UNKNOWN;
    if (r == ORDP_OK && !got) r = set_status(st, ORDP_INTERNAL, "server sent no response message");
    break;
  }
  if (r == ORDP_OK) {
    *response = got;
  } else if (got) {
    protobuf_c_message_free_unpacked(got, NULL);
  }
  return r;
}

uint32_t ordp_server_stream(ordp_conn *c, const char *method, const ProtobufCMessage *request,
                            const ordp_call_options *call, ordp_stream **out, ordp_status *st) {
  if (!out) return set_status(st, ORDP_INVALID_ARGUMENT, "out is required");
  uint32_t id;
  uint32_t r = start_call(c, method, request, call, &id, st);
  if (r) return r;
  ordp_stream *s = calloc(1, sizeof *s);
  if (!s) return set_status(st, ORDP_RESOURCE_EXHAUSTED, "out of memory");
  s->conn = c;
  s->id = id;
  s->deadline_ms = deadline_for(call);
  c->busy = 1;
  *out = s;
  return set_status(st, ORDP_OK, "");
}

int ordp_stream_next(ordp_stream *s, const ProtobufCMessageDescriptor *type, ProtobufCMessage **msg,
                     ordp_status *st) {
  if (!s || !type || !msg) {
    set_status(st, ORDP_INVALID_ARGUMENT, "stream, message_type and message are required");
    return 0;
  }
  *msg = NULL;
  if (s->done) {
    set_status(st, ORDP_INVALID_ARGUMENT, "stream already ended");
    return 0;
  }
  ordp_conn *c = s->conn;
  for (;;) {
    frame_header h;
    uint32_t r = read_frame(c, &h, s->deadline_ms, st);
    if (r) {
      if (r == ORDP_DEADLINE_EXCEEDED) cancel_call(c, s->id, ORDP_DEADLINE_EXCEEDED, "deadline exceeded");
      s->done = 1;
      c->busy = 0;
      return 0;
    }
    int k = on_call_frame(c, s->id, &h, st);
    if (k == 2) continue;
    if (k == 0) {
      s->done = 1;
      c->busy = 0;
      return 0;
    }
    *msg = protobuf_c_message_unpack(type, NULL, h.length, c->payload);
    s->consumed += h.length;
    if (s->consumed >= LOCAL_WINDOW / 2) {
      uint8_t inc[4];
      put_u32(inc, (uint32_t)s->consumed);
      s->consumed = 0;
      ordp_status ignored;
      send_frame(c, FRAME_WINDOW_UPDATE, 0, s->id, NULL, inc, 4, &ignored);
    }
    if (!*msg) {
      cancel_call(c, s->id, ORDP_INTERNAL, "undecodable response");
      set_status(st, ORDP_INTERNAL, "response does not decode as %s", type->name);
      s->done = 1;
      c->busy = 0;
      return 0;
    }
    return 1;
  }
}

void ordp_stream_free(ordp_stream *s) {
  if (!s) return;
  if (!s->done) {
    cancel_call(s->conn, s->id, ORDP_CANCELLED, "cancelled by the client");
    s->conn->busy = 0;
  }
  free(s);
}

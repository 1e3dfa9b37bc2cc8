/*
 * Load generator on librdkafka (the library under kcat), for bench/broker.ts.
 * Debian ships librdkafka.so.1 with kcat but not its headers, so the few entry points used here
 * are declared by hand (their C ABI has been stable since librdkafka 0.9).
 *
 *   rdload produce BROKERS TOPIC COUNT SIZE ACKS          as fast as possible; prints throughput
 *   rdload latency BROKERS TOPIC COUNT SIZE ACKS RATE     fixed rate; prints p50/p99 ack latency
 *   rdload consume BROKERS TOPIC COUNT                    from the beginning of partition 0
 * Output: one JSON object on stdout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_conf_s rd_kafka_conf_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct {
  int err;
  rd_kafka_topic_t *rkt;
  int32_t partition;
  void *payload;
  size_t len;
  void *key;
  size_t key_len;
  int64_t offset;
  void *_private;
} rd_kafka_message_t;

rd_kafka_conf_t *rd_kafka_conf_new(void);
int rd_kafka_conf_set(rd_kafka_conf_t *, const char *, const char *, char *, size_t);
void rd_kafka_conf_set_dr_msg_cb(rd_kafka_conf_t *, void (*)(rd_kafka_t *, const rd_kafka_message_t *, void *));
rd_kafka_t *rd_kafka_new(int, rd_kafka_conf_t *, char *, size_t);
rd_kafka_topic_t *rd_kafka_topic_new(rd_kafka_t *, const char *, void *);
int rd_kafka_produce(rd_kafka_topic_t *, int32_t, int, void *, size_t, const void *, size_t, void *);
int rd_kafka_poll(rd_kafka_t *, int);
int rd_kafka_flush(rd_kafka_t *, int);
int rd_kafka_last_error(void);
const char *rd_kafka_err2str(int);
int rd_kafka_consume_start(rd_kafka_topic_t *, int32_t, int64_t);
ssize_t rd_kafka_consume_batch(rd_kafka_topic_t *, int32_t, int, rd_kafka_message_t **, size_t);
void rd_kafka_message_destroy(rd_kafka_message_t *);
int rd_kafka_consume_stop(rd_kafka_topic_t *, int32_t);
void rd_kafka_topic_destroy(rd_kafka_topic_t *);
void rd_kafka_destroy(rd_kafka_t *);

#define QUEUE_FULL (-184)
#define MSG_F_COPY 0x2
#define OFFSET_BEGINNING (-2)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long delivered, failed;
static double *sent_at, *latency;
static long nlat;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (failed++ < 3) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  delivered++;
  if (sent_at) latency[nlat++] = now_ms() - sent_at[(intptr_t)m->_private];
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
  char err[256];
  if (rd_kafka_conf_set(c, k, v, err, sizeof err) != 0) {
    fprintf(stderr, "config %s=%s: %s\n", k, v, err);
    exit(2);
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int produce(int argc, char **argv, int fixed_rate) {
  const char *brokers = argv[2], *topic = argv[3];
  long count = atol(argv[4]), size = atol(argv[5]);
  double rate = fixed_rate && argc > 7 ? atof(argv[7]) : 0;
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "acks", argv[6]);
  set(conf, "linger.ms", fixed_rate ? "0" : "5");
  set(conf, "batch.num.messages", "10000");
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(0, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  for (long i = 0; i < size; i++) payload[i] = 'a' + (i % 26);
  if (fixed_rate) {
    sent_at = calloc(count, sizeof(double));
    latency = calloc(count, sizeof(double));
  }
  double start = now_ms();
  for (long i = 0; i < count; i++) {
    if (fixed_rate) {
      double due = start + i * 1000.0 / rate;
      while (now_ms() < due) rd_kafka_poll(rk, 0);
      sent_at[i] = now_ms();
    }
    while (rd_kafka_produce(rkt, 0, MSG_F_COPY, payload, size, NULL, 0, (void *)(intptr_t)i) != 0) {
      if (rd_kafka_last_error() != QUEUE_FULL) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        return 1;
      }
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double secs = (now_ms() - start) / 1e3;
  double p50 = 0, p99 = 0;
  if (fixed_rate && nlat > 0) {
    qsort(latency, nlat, sizeof(double), cmp);
    p50 = latency[(long)(nlat * 0.50)];
    p99 = latency[(long)(nlat * 0.99) < nlat ? (long)(nlat * 0.99) : nlat - 1];
  }
  printf("{\"msgs\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"msgsPerSec\":%.0f,\"mbPerSec\":%.2f,\"p50Ms\":%.3f,\"p99Ms\":%.3f}\n",
         delivered, failed, secs, delivered / secs, delivered * (double)size / secs / 1048576.0, p50, p99);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return failed ? 1 : 0;
}

static int consume(char **argv) {
  const char *brokers = argv[2], *topic = argv[3];
  long count = atol(argv[4]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "fetch.wait.max.ms", "100");
  set(conf, "queued.max.messages.kbytes", "262144");
  rd_kafka_t *rk = rd_kafka_new(1, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  rd_kafka_message_t *batch[10000];
  long got = 0, bytes = 0, errors = 0;
  double start = now_ms(), deadline = start + 120000;
  rd_kafka_consume_start(rkt, 0, OFFSET_BEGINNING);
  while (got < count && now_ms() < deadline) {
    ssize_t n = rd_kafka_consume_batch(rkt, 0, 1000, batch, 10000);
    for (ssize_t i = 0; i < n; i++) {
      if (batch[i]->err == 0) {
        got++;
        bytes += batch[i]->len;
      } else if (errors++ < 3) {
        fprintf(stderr, "consume: %s\n", rd_kafka_err2str(batch[i]->err));
      }
      rd_kafka_message_destroy(batch[i]);
    }
  }
  double secs = (now_ms() - start) / 1e3;
  printf("{\"msgs\":%ld,\"seconds\":%.3f,\"msgsPerSec\":%.0f,\"mbPerSec\":%.2f}\n", got, secs, got / secs,
         bytes / secs / 1048576.0);
  rd_kafka_consume_stop(rkt, 0);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return got < count ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "produce") == 0) return produce(argc, argv, 0);
  if (argc >= 8 && strcmp(argv[1], "latency") == 0) return produce(argc, argv, 1);
  if (argc >= 5 && strcmp(argv[1], "consume") == 0) return consume(argv);
  fprintf(stderr, "usage: rdload produce|latency|consume ... (see source)\n");
  return 2;
}

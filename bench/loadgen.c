/*
 * Strato's native load generator: N threads, each with one blocking connection doing
 * request -> response -> next request (like Aerospike's C benchmark tool with synchronous
 * threads). It exists so the measured node is not limited by a JavaScript generator sharing the
 * same 2 cores. Bounded: it stops after `seconds` (mix) or after writing every key once (load).
 *
 * usage: loadgen <port> <threads> <mode load|mix> <seconds> <read-pct> <value-bytes> <digest-file> [depth]
 * depth (default 1): requests each thread sends in one write before reading their answers, like a
 * client pipelining on one connection; latency is then per round of `depth` requests.
 * The digest file holds 20-byte digests back to back (set "bench", integer keys 0..n-1).
 * Prints one JSON line: {"ops":..,"reads":..,"writes":..,"errors":..,"p50_us":..,"p99_us":..,"seconds":..}
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 100000
#define MAX_THREADS 256

static int g_port, g_threads, g_load, g_read_pct, g_value_bytes, g_depth = 1;
#define MAX_DEPTH 256
static double g_seconds;
static unsigned char *g_digests;
static long g_keys;
static volatile long g_next_load_key;

typedef struct {
  long ops, reads, writes, errors;
  uint32_t *hist;
  unsigned int seed;
} thread_stats;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_all(int fd, const unsigned char *b, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, b, n, 0);
    if (w <= 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static int recv_all(int fd, unsigned char *b, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, b, n, 0);
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

/* Builds a get (all bins) or a put of bin "v" = blob into buf; returns the frame length. */
static size_t build(unsigned char *buf, const unsigned char *digest, int is_put) {
  unsigned char *p = buf + 8;
  memset(p, 0, 22);
  p[0] = 22;
  if (is_put) p[2] = 0x01; else p[1] = 0x03;
  put_u32(p + 14, 1000);
  p[18] = 0; p[19] = 3;               /* n_fields */
  p[20] = 0; p[21] = is_put ? 1 : 0;  /* n_ops */
  p += 22;
  put_u32(p, 5); p[4] = 0; memcpy(p + 5, "test", 4); p += 9;
  put_u32(p, 6); p[4] = 1; memcpy(p + 5, "bench", 5); p += 10;
  put_u32(p, 21); p[4] = 4; memcpy(p + 5, digest, 20); p += 25;
  if (is_put) {
    put_u32(p, 4 + 1 + g_value_bytes);
    p[4] = 2; p[5] = 4; p[6] = 0; p[7] = 1; p[8] = 'v';
    memset(p + 9, 0x5a, g_value_bytes);
    p += 9 + g_value_bytes;
  }
  size_t body = (size_t)(p - buf - 8);
  buf[0] = 2; buf[1] = 3;
  for (int i = 0; i < 6; i++) buf[2 + i] = (unsigned char)(body >> (8 * (5 - i)));
  return (size_t)(p - buf);
}

static void *worker(void *arg) {
  thread_stats *st = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)g_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  size_t cap = 1 << 20;
  size_t req_bytes = 64 + (size_t)g_value_bytes + 64;
  unsigned char *req = malloc(req_bytes * g_depth), *resp = malloc(cap);
  int puts[MAX_DEPTH];
  double deadline = now_s() + g_seconds;
  for (;;) {
    size_t n = 0;
    int d = 0;
    for (; d < g_depth; d++) {
      long k;
      int is_put;
      if (g_load) {
        k = __sync_fetch_and_add(&g_next_load_key, 1);
        if (k >= g_keys) break;
        is_put = 1;
      } else {
        if (now_s() >= deadline) break;
        k = rand_r(&st->seed) % g_keys;
        is_put = (rand_r(&st->seed) % 100) >= g_read_pct;
      }
      n += build(req + n, g_digests + 20 * k, is_put);
      puts[d] = is_put;
    }
    if (d == 0) break;
    double t0 = now_s();
    if (send_all(fd, req, n) != 0) { st->errors++; break; }
    int failed = 0;
    for (int i = 0; i < d; i++) {
      unsigned char h[8];
      if (recv_all(fd, h, 8) != 0) { failed = 1; break; }
      size_t body = 0;
      for (int j = 2; j < 8; j++) body = (body << 8) | h[j];
      if (body > cap) { failed = 1; break; }
      if (recv_all(fd, resp, body) != 0) { failed = 1; break; }
      if (body >= 6 && resp[5] != 0) st->errors++;
      st->ops++;
      if (puts[i]) st->writes++; else st->reads++;
    }
    if (failed) { st->errors++; break; }
    long us = (long)((now_s() - t0) * 1e6);
    st->hist[us < HIST_US ? us : HIST_US - 1] += (uint32_t)d;
  }
  close(fd);
  free(req);
  free(resp);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 8 && argc != 9) {
    fprintf(stderr, "usage: loadgen <port> <threads> <load|mix> <seconds> <read-pct> <value-bytes> <digest-file> [depth]\n");
    return 2;
  }
  g_port = atoi(argv[1]);
  g_threads = atoi(argv[2]);
  g_load = strcmp(argv[3], "load") == 0;
  g_seconds = atof(argv[4]);
  g_read_pct = atoi(argv[5]);
  g_value_bytes = atoi(argv[6]);
  if (argc == 9) g_depth = atoi(argv[8]);
  if (g_depth < 1 || g_depth > MAX_DEPTH) return 2;
  if (g_threads < 1 || g_threads > MAX_THREADS || g_value_bytes < 0 || g_value_bytes > 1 << 20) return 2;
  FILE *f = fopen(argv[7], "rb");
  if (!f) { perror("digest file"); return 2; }
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  g_keys = sz / 20;
  g_digests = malloc((size_t)sz);
  if (fread(g_digests, 1, (size_t)sz, f) != (size_t)sz) return 2;
  fclose(f);
  pthread_t th[MAX_THREADS];
  thread_stats st[MAX_THREADS];
  double t0 = now_s();
  for (int i = 0; i < g_threads; i++) {
    memset(&st[i], 0, sizeof st[i]);
    st[i].hist = calloc(HIST_US, sizeof(uint32_t));
    st[i].seed = 0x9e3779b9u * (unsigned)(i + 1);
    pthread_create(&th[i], NULL, worker, &st[i]);
  }
  long ops = 0, reads = 0, writes = 0, errors = 0;
  uint64_t *hist = calloc(HIST_US, sizeof(uint64_t));
  for (int i = 0; i < g_threads; i++) {
    pthread_join(th[i], NULL);
    ops += st[i].ops; reads += st[i].reads; writes += st[i].writes; errors += st[i].errors;
    for (int j = 0; j < HIST_US; j++) hist[j] += st[i].hist[j];
  }
  double elapsed = now_s() - t0;
  long p50 = 0, p99 = 0, seen = 0;
  int have50 = 0;
  for (int j = 0; j < HIST_US; j++) {
    seen += (long)hist[j];
    if (!have50 && seen >= ops * 0.5) { p50 = j; have50 = 1; }
    if (seen >= ops * 0.99) { p99 = j; break; }
  }
  printf("{\"ops\":%ld,\"reads\":%ld,\"writes\":%ld,\"errors\":%ld,\"p50_us\":%ld,\"p99_us\":%ld,\"seconds\":%.3f}\n",
         ops, reads, writes, errors, p50, p99, elapsed);
  return 0;
}

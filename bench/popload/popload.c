// popload: a neutral POP3 load generator for side-by-side runs (threads, blocking sockets).
//
// This is an extended copy of the shared generator ../shared/bench/popload.c (issue 18). Added here:
//   - POPLOAD_STLS=1: connect in cleartext, read the greeting, send STLS, expect +OK, then the TLS handshake
//     (POPLOAD_RESUME=1 resumes the thread's previous session as with implicit TLS), then the usual session;
//   - the TLS protocol and group negotiated on the first handshake are printed on stderr, once.
// Everything else (the sessions, what is measured, the output line) is the shared generator's.
//
// popload HOST PORT USERS_FILE THREADS SECONDS MODE
//   USERS_FILE: "user password" per line. MODE: login | download
//   login:    connect, greeting, USER, PASS, STAT, QUIT
//   download: login, LIST, RETR every message (no DELE), QUIT
// Each thread takes users round-robin from its own slice, so no two threads share a maildrop
// (servers with an exclusive lock would refuse a second session). Needs THREADS <= users.
// Prints: sessions/s, MB/s, errors, p50/p99 session ms.
// POPLOAD_TLS=1: implicit TLS (port 995 style) with OpenSSL, no certificate check; POPLOAD_STLS=1: STLS on a
// cleartext port instead; POPLOAD_RESUME=1 also resumes each thread's previous TLS session.
// Build: gcc -O2 -pthread popload.c -lssl -lcrypto
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/ssl.h>

static char *host; static int port, nthreads, seconds, download;
static char **users, **pass; static int nusers;
static volatile int stop;

typedef struct { int fd; SSL *ssl; char buf[1 << 16]; int len, pos; } conn_t;
typedef struct { int id; long sessions, errors; double bytes; double *lat; long nlat, cap; SSL_SESSION *sess; } worker_t;
static SSL_CTX *tls; static int resume, stls;
static volatile int reported;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static int fill(conn_t *c) {
  if (c->pos > 0 && c->pos < c->len) { memmove(c->buf, c->buf + c->pos, c->len - c->pos); }
  c->len -= c->pos; c->pos = 0;
  if (c->len >= (int)sizeof c->buf) return -1;
  ssize_t n = c->ssl ? SSL_read(c->ssl, c->buf + c->len, sizeof c->buf - c->len) : recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
  if (n <= 0) return -1;
  c->len += n; return 0;
}
// reads one line; returns its length (without CRLF) and sets *out, or -1
static int line(conn_t *c, char **out) {
  for (;;) {
    char *nl = memchr(c->buf + c->pos, '\n', c->len - c->pos);
    if (nl) { int l = nl - (c->buf + c->pos); *out = c->buf + c->pos; c->pos += l + 1; if (l && (*out)[l - 1] == '\r') l--; return l; }
    if (fill(c)) return -1;
  }
}
static int say(conn_t *c, const char *s) { size_t n = strlen(s); if (c->ssl) return SSL_write(c->ssl, s, n) == (int)n ? 0 : -1; return send(c->fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1; }
static int okline(conn_t *c) { char *l; int n = line(c, &l); return (n >= 3 && !memcmp(l, "+OK", 3)) ? 0 : -1; }
// reads a multi-line body; returns octets or -1
static long multi(conn_t *c) {
  long total = 0; char *l;
  for (;;) { int n = line(c, &l); if (n < 0) return -1; if (n == 1 && l[0] == '.') return total; total += n + 2; }
}

static int session(worker_t *w, int u, double *bytes) {
  conn_t *c = malloc(sizeof *c); c->len = c->pos = 0; c->ssl = 0;
  int rc = -1; char cmd[512];
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  int one = 1; setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {30, 0}; setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(c->fd, (void *)&a, sizeof a)) goto out;
  if (stls) { // cleartext greeting, STLS, +OK; nothing may be left unread before the handshake
    if (okline(c) || say(c, "STLS\r\n") || okline(c) || c->pos != c->len) goto out;
  }
  if (tls) {
    c->ssl = SSL_new(tls); SSL_set_fd(c->ssl, c->fd);
    if (resume && w->sess) SSL_set_session(c->ssl, w->sess);
    if (SSL_connect(c->ssl) != 1) goto out;
    if (!reported && !__sync_lock_test_and_set(&reported, 1))
      fprintf(stderr, "popload: %s %s group %s%s\n", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl),
              SSL_group_to_name(c->ssl, SSL_get_negotiated_group(c->ssl)) ?: "?", stls ? " (STLS)" : "");
  }
  if (!stls && okline(c)) goto out;
  snprintf(cmd, sizeof cmd, "USER %s\r\n", users[u]); if (say(c, cmd) || okline(c)) goto out;
  snprintf(cmd, sizeof cmd, "PASS %s\r\n", pass[u]); if (say(c, cmd) || okline(c)) goto out;
  if (say(c, "STAT\r\n")) goto out;
  char *l; int n = line(c, &l); if (n < 3 || memcmp(l, "+OK", 3)) goto out;
  int count = atoi(l + 4);
  if (download) {
    if (say(c, "LIST\r\n") || okline(c) || multi(c) < 0) goto out;
    for (int i = 1; i <= count; i++) {
      snprintf(cmd, sizeof cmd, "RETR %d\r\n", i);
      if (say(c, cmd) || okline(c)) goto out;
      long b = multi(c); if (b < 0) goto out; *bytes += b;
    }
  }
  if (say(c, "QUIT\r\n") || okline(c)) goto out;
  rc = 0;
out:
  if (c->ssl) {
    if (resume && rc == 0) { SSL_SESSION *n = SSL_get1_session(c->ssl); if (w->sess) SSL_SESSION_free(w->sess); w->sess = n; }
    SSL_shutdown(c->ssl); SSL_free(c->ssl);
  }
  close(c->fd); free(c); return rc;
}

static void *run(void *arg) {
  worker_t *w = arg;
  int per = nusers / nthreads, base = w->id * per, k = 0;
  while (!stop) {
    int u = base + (k++ % per);
    double t0 = now(), b = 0;
    if (session(w, u, &b)) { w->errors++; usleep(10000); continue; }
    w->sessions++; w->bytes += b;
    if (w->nlat == w->cap) { w->cap = w->cap ? w->cap * 2 : 4096; w->lat = realloc(w->lat, w->cap * sizeof(double)); }
    w->lat[w->nlat++] = (now() - t0) * 1000;
  }
  return 0;
}
static int cmpd(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  if (argc != 7) { fprintf(stderr, "usage: popload HOST PORT USERS_FILE THREADS SECONDS login|download\n"); return 2; }
  stls = getenv("POPLOAD_STLS") && *getenv("POPLOAD_STLS") == '1';
  if (stls || (getenv("POPLOAD_TLS") && *getenv("POPLOAD_TLS") == '1')) {
    tls = SSL_CTX_new(TLS_client_method()); SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, 0);
    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(tls, SSL_SESS_CACHE_CLIENT);
    resume = getenv("POPLOAD_RESUME") && *getenv("POPLOAD_RESUME") == '1';
  }
  host = argv[1]; port = atoi(argv[2]); nthreads = atoi(argv[4]); seconds = atoi(argv[5]); download = !strcmp(argv[6], "download");
  FILE *f = fopen(argv[3], "r"); if (!f) { perror(argv[3]); return 2; }
  char u[256], p[256]; users = malloc(sizeof(char *) * 100000); pass = malloc(sizeof(char *) * 100000);
  while (nusers < 100000 && fscanf(f, "%255s %255s", u, p) == 2) { users[nusers] = strdup(u); pass[nusers] = strdup(p); nusers++; }
  if (nthreads < 1 || nthreads > nusers) { fprintf(stderr, "need 1 <= THREADS <= users (%d)\n", nusers); return 2; }
  pthread_t th[nthreads]; worker_t ws[nthreads]; memset(ws, 0, sizeof ws);
  double t0 = now();
  for (int i = 0; i < nthreads; i++) { ws[i].id = i; pthread_create(&th[i], 0, run, &ws[i]); }
  sleep(seconds); stop = 1;
  for (int i = 0; i < nthreads; i++) pthread_join(th[i], 0);
  double el = now() - t0; long s = 0, e = 0, nl = 0; double by = 0;
  for (int i = 0; i < nthreads; i++) { s += ws[i].sessions; e += ws[i].errors; by += ws[i].bytes; nl += ws[i].nlat; }
  double *all = malloc(sizeof(double) * (nl + 1)); long k = 0;
  for (int i = 0; i < nthreads; i++) { memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof(double)); k += ws[i].nlat; }
  qsort(all, nl, sizeof(double), cmpd);
  printf("sessions/s %.1f MB/s %.1f errors %ld p50_ms %.2f p99_ms %.2f sessions %ld\n", s / el, by / el / 1e6, e,
         nl ? all[nl / 2] : 0, nl ? all[(long)(nl * 0.99)] : 0, s);
  return 0;
}

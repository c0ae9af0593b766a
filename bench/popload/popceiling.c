// popceiling PORT MSGS MSGBYTES: a POP3 responder that does no real work (any user, any password,
// MSGS messages of MSGBYTES bytes held in memory, already in wire form). It is the ceiling that a
// real server can approach with the same load generator on the same machine.
//
// This is an extended copy of the shared responder ../shared/bench/popceiling.c (issue 18). The shared one
// starts a POSIX thread for every connection, which on some VMs costs more per login than a real server's
// whole login (docs/performance.md), so for logins it was no ceiling. Changed here, so that the responder does
// less per session, never more:
//   - one thread accepts and hands each connection to an idle worker thread, the one that went idle last (its
//     stack and cache are the warmest), or to a new one when none is idle; workers are kept, never ended, so no
//     connection pays for a thread's creation once the pool has grown to the load (a pool whose workers all
//     waited in accept() themselves was slower at 2 client threads: the kernel wakes the longest waiter);
//   - each reply is one system call: LIST's lines are sent in one send(), RETR's status line, message and
//     terminator in one writev().
// What is answered is unchanged: +OK to everything, STAT, LIST and RETR of MSGS messages of MSGBYTES octets.
// Build: gcc -O2 -pthread popceiling.c
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int msgs, listener; static long msgbytes; static char *wire; static long wirelen;
static char *listing; static long listinglen;
// The idle workers, the last one to go idle on top; each waits on its own condition for a connection.
struct worker { pthread_cond_t wake; int fd; struct worker *next; };
static struct worker *idle; static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;

static void serve(int fd) {
  int one = 1; char buf[4096], out[256]; int len = 0;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  send(fd, "+OK ready\r\n", 11, MSG_NOSIGNAL);
  for (;;) {
    char *nl;
    while (!(nl = memchr(buf, '\n', len))) {
      if (len == sizeof buf) goto done; // a line longer than the buffer: not a POP3 client
      ssize_t n = recv(fd, buf + len, sizeof buf - len, 0); if (n <= 0) goto done; len += n;
    }
    *nl = 0; char cmd[8] = {0}; memcpy(cmd, buf, 4);
    if (!strncasecmp(cmd, "STAT", 4)) snprintf(out, sizeof out, "+OK %d %ld\r\n", msgs, msgs * msgbytes), send(fd, out, strlen(out), MSG_NOSIGNAL);
    else if (!strncasecmp(cmd, "LIST", 4)) send(fd, listing, listinglen, MSG_NOSIGNAL);
    else if (!strncasecmp(cmd, "RETR", 4)) {
      int n = snprintf(out, sizeof out, "+OK %ld octets\r\n", msgbytes);
      struct iovec v[2] = {{out, n}, {wire, wirelen}};
      struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
      sendmsg(fd, &m, MSG_NOSIGNAL);
    }
    else if (!strncasecmp(cmd, "QUIT", 4)) { send(fd, "+OK bye\r\n", 9, MSG_NOSIGNAL); goto done; }
    else send(fd, "+OK\r\n", 5, MSG_NOSIGNAL);
    int used = nl + 1 - buf; memmove(buf, nl + 1, len - used); len -= used;
  }
done:
  close(fd);
}

static void *work(void *arg) {
  struct worker *w = arg;
  for (;;) {
    serve(w->fd);
    pthread_mutex_lock(&idle_lock);
    w->fd = -1; w->next = idle; idle = w;
    while (w->fd < 0) pthread_cond_wait(&w->wake, &idle_lock);
    pthread_mutex_unlock(&idle_lock);
  }
  return 0;
}

static void hand_over(int fd) {
  pthread_mutex_lock(&idle_lock);
  struct worker *w = idle;
  if (w) { idle = w->next; w->fd = fd; pthread_cond_signal(&w->wake); }
  pthread_mutex_unlock(&idle_lock);
  if (w) return;
  w = calloc(1, sizeof *w); pthread_cond_init(&w->wake, 0); w->fd = fd;
  pthread_t t;
  if (pthread_create(&t, 0, work, w)) { perror("pthread_create"); exit(1); }
  pthread_detach(t);
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: popceiling PORT MSGS MSGBYTES\n"); return 2; }
  msgs = atoi(argv[2]); msgbytes = atol(argv[3]);
  if (msgs < 0 || msgbytes < 0) { fprintf(stderr, "popceiling: MSGS and MSGBYTES must not be negative\n"); return 2; }
  wire = malloc(msgbytes + 3);
  for (long i = 0; i < msgbytes; i++) { wire[i] = (i % 72 == 70) ? '\r' : (i % 72 == 71) ? '\n' : 'a' + i % 26; }
  if (msgbytes >= 2) wire[msgbytes - 2] = '\r', wire[msgbytes - 1] = '\n';  // whole last line, any size
  memcpy(wire + msgbytes, ".\r\n", 3); wirelen = msgbytes + 3;
  listing = malloc(8 + (long)msgs * 48);
  listinglen = sprintf(listing, "+OK\r\n");
  for (int i = 1; i <= msgs; i++) listinglen += sprintf(listing + listinglen, "%d %ld\r\n", i, msgbytes);
  listinglen += sprintf(listing + listinglen, ".\r\n");
  int one = 1; listener = socket(AF_INET, SOCK_STREAM, 0); setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(0x7f000001)};
  if (bind(listener, (void *)&a, sizeof a) || listen(listener, 4096)) { perror("bind"); return 1; }
  for (;;) { int fd = accept(listener, 0, 0); if (fd >= 0) hand_over(fd); }
}

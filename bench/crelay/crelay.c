/*
 * crelay is the benchmarks' floor for any proxy: a TCP relay in C that
 * copies bytes between each client and one server with one thread per
 * direction, blocking read()/write() and a 64 KiB buffer. It parses
 * nothing and has no event loop, so what it costs over a direct connection
 * is the kernel's price of the two extra socket hops (copies, wake-ups and
 * context switches) on the machine at hand.
 *
 *	crelay -listen 127.0.0.1:16036 -to 127.0.0.1:15307
 *
 * It only accepts loopback addresses and exits with status 0 on SIGINT or
 * SIGTERM. Build: cc -O2 -Wall -Wextra -pthread -o crelay crelay.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSIZE (64 * 1024)

static struct sockaddr_storage target; /* the server, resolved once */
static socklen_t target_len;

/* One direction of a connection: bytes from src go to dst. */
struct pipe {
	int src, dst;
};

/* resolve fills ss with HOST:PORT (IPv6 as [::1]:PORT), which must be a
 * loopback address. It returns 0 or -1 after printing why. */
static int resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t n = colon ? (size_t)(colon - hostport) : 0;
	if (!colon || n == 0 || n >= sizeof host || colon[1] == '\0') {
		fprintf(stderr, "crelay: %s: want HOST:PORT\n", hostport);
		return -1;
	}
	memcpy(host, hostport, n);
	host[n] = '\0';
	if (host[0] == '[' && host[n - 1] == ']') { /* [::1] */
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	int err = getaddrinfo(host, colon + 1, &hints, &res);
	if (err != 0) {
		fprintf(stderr, "crelay: %s: %s\n", hostport, gai_strerror(err));
		return -1;
	}
	int loopback = 0;
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
		loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else if (res->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)res->ai_addr;
		loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	if (loopback) {
		memcpy(ss, res->ai_addr, res->ai_addrlen);
		*len = res->ai_addrlen;
	}
	freeaddrinfo(res);
	if (!loopback) {
		fprintf(stderr, "crelay: %s: only loopback addresses\n", hostport);
		return -1;
	}
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* copy relays one direction until src ends or dst fails, then half-closes
 * dst so the peer sees the end and the other direction ends too. */
static void *copy(void *arg)
{
	struct pipe *p = arg;
	char buf[BUFSIZE]; /* on the thread's stack (8 MiB by default) */
	for (;;) {
		ssize_t n = read(p->src, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(p->dst, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto done;
			off += w;
		}
	}
done:
	shutdown(p->dst, SHUT_WR);
	return NULL;
}

/* relay serves one client (its fd passed as the argument): it dials the
 * server, copies server->client in a second thread and client->server in
 * this one, and closes both sockets when both directions have ended. */
static void *relay(void *arg)
{
	int client = (int)(long)arg;
	int server = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0 || connect(server, (struct sockaddr *)&target, target_len) < 0) {
		perror("crelay: connecting to the server");
		if (server >= 0)
			close(server);
		close(client);
		return NULL;
	}
	nodelay(server);
	struct pipe up = {client, server}, down = {server, client};
	pthread_t t;
	int err = pthread_create(&t, NULL, copy, &down);
	if (err != 0) {
		fprintf(stderr, "crelay: pthread_create: %s\n", strerror(err));
	} else {
		copy(&up);
		pthread_join(t, NULL);
	}
	close(client);
	close(server);
	return NULL;
}

/* acceptor accepts clients on the listener (its fd as the argument) and
 * starts a detached relay thread for each. */
static void *acceptor(void *arg)
{
	int ln = (int)(long)arg;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		int c = accept4(ln, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			int e = errno;
			if (e == EINTR || e == ECONNABORTED)
				continue;
			perror("crelay: accept");
			if (e == EBADF || e == EINVAL)
				break; /* the listener is gone */
			usleep(10000); /* out of fds or memory: do not spin */
			continue;
		}
		nodelay(c);
		pthread_t t;
		int err = pthread_create(&t, &attr, relay, (void *)(long)c);
		if (err != 0) {
			fprintf(stderr, "crelay: pthread_create: %s\n", strerror(err));
			close(c);
		}
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: crelay -listen HOST:PORT -to HOST:PORT (loopback addresses only)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_addr = NULL, *to = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			a++; /* --listen works as -listen, as with Go's flag package */
		if (i + 1 < argc && strcmp(a, "-listen") == 0)
			listen_addr = argv[++i];
		else if (i + 1 < argc && strcmp(a, "-to") == 0)
			to = argv[++i];
		else
			usage();
	}
	if (!listen_addr || !to)
		usage();

	struct sockaddr_storage laddr;
	socklen_t llen;
	if (resolve(listen_addr, &laddr, &llen) < 0 || resolve(to, &target, &target_len) < 0)
		return 2;

	int ln = socket(laddr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (ln < 0 || setsockopt(ln, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ln, (struct sockaddr *)&laddr, llen) < 0 || listen(ln, 512) < 0) {
		fprintf(stderr, "crelay: listening on %s: %s\n", listen_addr, strerror(errno));
		return 1;
	}

	/* Every thread blocks the stop signals (the mask is inherited) and the
	 * main thread waits for them, so no read or write sees EINTR. A write
	 * to a closed peer fails with EPIPE instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	pthread_t t;
	int err = pthread_create(&t, NULL, acceptor, (void *)(long)ln);
	if (err != 0) {
		fprintf(stderr, "crelay: pthread_create: %s\n", strerror(err));
		return 1;
	}
	int sig;
	sigwait(&stop, &sig);
	/* Open connections end with the process: the kernel closes them. */
	close(ln);
	return 0;
}

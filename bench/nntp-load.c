/*
 * nntp-load: an NNTP reader load generator on libevent (bench/, issue 7).
 *
 *   nntp-load -p PORT -g GROUP [-c CONNS] [-d DEPTH] [-t SECONDS] [-n MAXOPS]
 *             [-o OP,OP,...] [-I IDLE] [-S SLOW] [-R BYTES/S] [-P PID,...] [-m]
 *
 * Talks to 127.0.0.1 only. For each operation in -o (default
 * connect,over,hdr,article,artmid,head,stat) it opens CONNS connections, each running
 * that operation in a loop with up to DEPTH requests pipelined, until SECONDS have passed
 * or MAXOPS requests were started (whichever comes first), then prints requests/s,
 * articles/s, MB/s and p50/p99/max latency (ms). Operations:
 *
 *   connect  connect, greeting, QUIT, 205 (latency: connect() to 205)
 *   over     OVER lo-hi over the whole group (articles = overview lines)
 *   hdr      HDR References lo-hi over the whole group
 *   article  ARTICLE n, n uniformly random in lo..hi
 *   artmid   ARTICLE <message-id>, random among the group's (fetched once with HDR)
 *   head     HEAD walk: n, n+1, ... from a random start, wrapping
 *   stat     STAT walk, likewise
 *   mix      every request drawn at random, by weight: ARTICLE n 40, ARTICLE <msgid> 15,
 *            HEAD n 15, STAT n 10 (n uniformly random), OVER of a random 100-article
 *            range 10, HDR References of such a range 5, GROUP 4, connect 1 (when the
 *            pipeline has drained: QUIT, close, connect, greeting, GROUP; latency from
 *            the QUIT to the 211). One row for all, then the count of each kind.
 *
 * Latencies are kept exactly up to LAT_MAX per operation, then as a uniform random
 * sample of that size (reservoir), so a long run (-t 600) uses bounded memory.
 * -I IDLE holds IDLE more connections open (greeted, GROUP selected, then silent) during
 * every measurement; -S SLOW holds SLOW connections that each loop on OVER of the whole
 * group but read only R bytes/s (-R, default 16384). At the end it says how many of them
 * the server kept. -m prints one machine-readable line per operation ("RESULT op=...").
 * -L BYTES measures the physical ceiling instead: BYTES through one loopback TCP socket.
 *
 *   nntp-load -E PORT -g GROUP [-a N] [-H BYTES] [-A BYTES]
 *
 * is the responder instead: a server that does no work at all, on 127.0.0.1:PORT until
 * SIGTERM, the ceiling for the request/response rows (the loopback round trips and this
 * client's own CPU). GROUP has articles 1..N (-a, default 100000); HEAD and ARTICLE get
 * canned replies of -H and -A bytes (default 870 and 1440, a 100k-article confabd's).
 *
 * -P PID,... reports the server's CPU time per request (cpu_us, microseconds): utime +
 * stime + cutime + cstime of each PID (/proc/PID/stat, clock ticks), plus those of every
 * process whose parent is one of them (nnrpd -D's child per connection, a master's
 * workers), read when the clock starts and again 100 ms after the last worker has closed
 * (time for the server to reap its children), divided by the requests completed.
 * Everything the server does in that window counts, the -I/-S crowd's included; children
 * reaped without wait() (SIGCHLD ignored) are lost to it. -1: a process went away.
 *
 * Exit status: 0 when every operation completed at least one request without errors on
 * most of them, 1 on a failure (server unreachable, wrong replies), 2 on usage errors.
 */
#define _GNU_SOURCE		/* accept4 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

/* -o takes the operations below OP_N; the ones after it are the mix's own */
enum op { OP_CONNECT, OP_OVER, OP_HDR, OP_ARTICLE, OP_ARTMID, OP_HEAD, OP_STAT, OP_MIX,
	OP_N, OP_ROVER = OP_N, OP_RHDR, OP_GROUP, OP_ALL };
static const char *op_name[OP_ALL] = {
	"connect", "over", "hdr", "article", "artmid", "head", "stat", "mix",
	"over100", "hdr100", "group"
};
static const int op_multi[OP_ALL] = { 0, 224, 225, 220, 220, 221, 0, 0, 224, 225, 0 };
static const int op_ok[OP_ALL] = { 205, 224, 225, 220, 220, 221, 223, 0, 224, 225, 211 };
static const struct { enum op op; int weight; } mix[] = {
	{ OP_ARTICLE, 40 }, { OP_ARTMID, 15 }, { OP_HEAD, 15 }, { OP_STAT, 10 },
	{ OP_ROVER, 10 }, { OP_RHDR, 5 }, { OP_GROUP, 4 }, { OP_CONNECT, 1 }
};

enum role { R_WORK, R_IDLE, R_SLOW };
enum state { S_GREET, S_GROUP, S_READY, S_RUN, S_QUIT, S_DEAD };
enum pstate { P_BOL, P_MID, P_DOT, P_DOTCR };

#define MAXDEPTH 256
#define LAT_MAX (1 << 22)	/* latencies kept per operation (32 MiB) */

struct conn {
	struct bufferevent	*bev;
	enum role		 role;
	enum state		 state;
	enum op			 op;
	uint64_t		 t0;		/* connect time (connect op) */
	uint64_t		 sent[MAXDEPTH];	/* ring of outstanding requests */
	enum op			 sop[MAXDEPTH];		/* and what each one is */
	int			 qh, qn;
	int			 inbody, code;
	enum pstate		 ps;
	long			 lines;
	uint64_t		 walk;
	int			 idx;
	int			 reconnect;	/* mix: 1 connect drawn, 2 QUIT done */
};

struct stats {
	uint64_t	*lat;		/* ns; a sample of LAT_MAX once n exceeds it */
	size_t		 n, cap;
	uint64_t	 max, errors, articles, bytes;
	uint64_t	 nop[OP_ALL];	/* mix: replies of each kind */
};

static struct event_base *base;
static struct sockaddr_in sin_srv;
static const char *group;
static long lo, hi;
static char **msgids;
static size_t nmsgids;
static int conns = 8, depth = 1, machine, nidle, nslow;
static double seconds = 5;
static long maxops = 1000000;
static long slow_rate = 16384;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static long *spids;		/* -P */
static int nspids, cpu_lost;
static uint64_t cpu0, cpu1;

/* the running measurement */
static enum op cur_op;
static struct stats st;
static long started, active, ready_n;
static int stopping, measuring;
static uint64_t t_start, t_end;
static struct event *ev_stop, *ev_deadline;

/* background connections */
static struct conn **bg, **workers;
static int nbg, bg_ready, bg_lost, bg_launched;
static uint64_t slow_bytes;
static long slow_overs;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
die(const char *msg)
{
	fprintf(stderr, "nntp-load: %s\n", msg);
	exit(1);
}

static void start_conn(enum role, enum op, int);
static void issue(struct conn *);

static void
lat_add(uint64_t ns)
{
	uint64_t j;

	if (ns > st.max)
		st.max = ns;
	if (st.n < LAT_MAX) {
		if (st.n == st.cap) {
			st.cap = st.cap ? st.cap * 2 : 4096;
			if ((st.lat = realloc(st.lat, st.cap * sizeof(*st.lat))) == NULL)
				die("out of memory");
		}
		st.lat[st.n] = ns;
	} else if ((j = rnd() % (st.n + 1)) < LAT_MAX)
		st.lat[j] = ns;
	st.n++;
}

/* utime + stime + cutime + cstime of /proc/PID/stat (clock ticks), and its parent. */
static int
proc_cpu(const char *pid, long *ppid, uint64_t *ticks)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, stm;
	long long cut, cst;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*s %ld %*s %*s %*s %*s"
	    " %*s %*s %*s %*s %*s %llu %llu %lld %lld", ppid, &ut, &stm, &cut, &cst) != 5)
		return -1;
	*ticks = ut + stm + cut + cst;
	return 0;
}

static int
is_server(long pid)
{
	for (int i = 0; i < nspids; i++)
		if (spids[i] == pid)
			return 1;
	return 0;
}

/* The CPU time of the -P processes and their current children, in clock ticks. */
static uint64_t
server_cpu(void)
{
	DIR *d;
	struct dirent *de;
	char id[32];
	uint64_t sum = 0, t;
	long ppid;

	for (int i = 0; i < nspids; i++) {
		snprintf(id, sizeof(id), "%ld", spids[i]);
		if (proc_cpu(id, &ppid, &t) == 0)
			sum += t;
		else
			cpu_lost = 1;
	}
	if ((d = opendir("/proc")) == NULL)
		return sum;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    proc_cpu(de->d_name, &ppid, &t) == 0 && is_server(ppid) &&
		    !is_server(atol(de->d_name)))
			sum += t;
	closedir(d);
	return sum;
}

static void
conn_free(struct conn *c)
{
	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->state = S_DEAD;
}

/* A worker has finished (or failed); the measurement ends when the last one has. */
static void
worker_done(struct conn *c)
{
	conn_free(c);
	free(c);
	if (--active == 0) {
		t_end = now_ns();
		event_base_loopbreak(base);
	}
}

static void
send_cmd(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
send_cmd(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

static void
begin_measure(void)
{
	struct timeval tv;

	tv.tv_sec = (long)seconds;
	tv.tv_usec = (long)((seconds - (long)seconds) * 1e6);
	if (nspids > 0)
		cpu0 = server_cpu();
	measuring = 1;
	t_start = now_ns();
	event_add(ev_stop, &tv);
}

/* Scan a multi-line body; 1 when its terminating ".\r\n" was consumed. */
static int
scan_body(struct conn *c, struct evbuffer *in, uint64_t *bytes)
{
	struct evbuffer_iovec v[32];
	int n, i, done = 0;
	size_t used;

	while (!done && evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, 32);
		if (n > 32)
			n = 32;
		used = 0;
		for (i = 0; i < n && !done; i++) {
			const char *p = v[i].iov_base, *end = p + v[i].iov_len, *q;

			while (p < end && !done) {
				switch (c->ps) {
				case P_MID:
					if ((q = memchr(p, '\n', end - p)) == NULL) {
						p = end;
						break;
					}
					p = q + 1;
					c->lines++;
					c->ps = P_BOL;
					break;
				case P_BOL:
					if (*p == '.') {
						p++;
						c->ps = P_DOT;
					} else
						c->ps = P_MID;
					break;
				case P_DOT:
					if (*p == '\r') {
						p++;
						c->ps = P_DOTCR;
					} else
						c->ps = P_MID;
					break;
				case P_DOTCR:
					if (*p == '\n') {
						p++;
						done = 1;
					} else
						c->ps = P_MID;
					break;
				}
			}
			used += p - (const char *)v[i].iov_base;
		}
		evbuffer_drain(in, used);
		*bytes += used;
	}
	return done;
}

/* One reply (status line and body, if any) to the oldest outstanding request. */
static void
reply_done(struct conn *c)
{
	uint64_t t = now_ns();
	enum op op = c->qn > 0 ? c->sop[c->qh] : c->op;

	if (c->role == R_SLOW) {
		slow_overs++;
		c->qn = 0;
		issue(c);
		return;
	}
	if (c->qn > 0) {
		if (measuring) {
			lat_add(t - c->sent[c->qh]);
			st.nop[op]++;
		}
		c->qh = (c->qh + 1) % MAXDEPTH;
		c->qn--;
	}
	if (c->code != op_ok[op])
		st.errors++;
	else if (op == OP_OVER || op == OP_HDR || op == OP_ROVER || op == OP_RHDR)
		st.articles += c->lines;
	else if (op != OP_GROUP)
		st.articles++;
	issue(c);
}

static enum op
mix_pick(void)
{
	int w = (int)(rnd() % 100);
	size_t i;

	for (i = 0; i < sizeof(mix) / sizeof(mix[0]) - 1; i++)
		if ((w -= mix[i].weight) < 0)
			break;
	return mix[i].op;
}

static long
rnd_art(void)
{
	return lo + (long)(rnd() % (uint64_t)(hi - lo + 1));
}

static void
issue(struct conn *c)
{
	enum op op;
	long n;

	if (c->role == R_SLOW) {
		send_cmd(c, "OVER %ld-%ld\r\n", lo, hi);
		c->qn = 1;
		return;
	}
	if (c->role != R_WORK)
		return;
	while (c->qn < depth && !stopping && started < maxops && !c->reconnect) {
		op = c->op == OP_MIX ? mix_pick() : c->op;
		switch (op) {
		case OP_OVER:
			send_cmd(c, "OVER %ld-%ld\r\n", lo, hi);
			break;
		case OP_HDR:
			send_cmd(c, "HDR References %ld-%ld\r\n", lo, hi);
			break;
		case OP_ROVER:
		case OP_RHDR:
			n = hi - lo + 1 > 100 ? lo + (long)(rnd() % (uint64_t)(hi - lo - 98)) : lo;
			send_cmd(c, "%s %ld-%ld\r\n", op == OP_ROVER ? "OVER" : "HDR References",
			    n, n + 99 < hi ? n + 99 : hi);
			break;
		case OP_ARTICLE:
			send_cmd(c, "ARTICLE %ld\r\n", rnd_art());
			break;
		case OP_ARTMID:
			send_cmd(c, "ARTICLE %s\r\n", msgids[rnd() % nmsgids]);
			break;
		case OP_HEAD:
		case OP_STAT:
			if (c->op == OP_MIX)
				n = rnd_art();
			else {
				if (c->walk < (uint64_t)lo || c->walk > (uint64_t)hi)
					c->walk = lo;
				n = (long)c->walk++;
			}
			send_cmd(c, "%s %ld\r\n", op == OP_HEAD ? "HEAD" : "STAT", n);
			break;
		case OP_GROUP:
			send_cmd(c, "GROUP %s\r\n", group);
			break;
		case OP_CONNECT:
			if (c->op != OP_MIX)
				return;
			/* QUIT once the pipeline has drained, then reconnect */
			c->reconnect = 1;
			started++;
			continue;
		default:
			return;
		}
		c->sent[(c->qh + c->qn) % MAXDEPTH] = now_ns();
		c->sop[(c->qh + c->qn) % MAXDEPTH] = op;
		c->qn++;
		started++;
	}
	if (c->qn == 0 && c->state == S_RUN) {
		send_cmd(c, "QUIT\r\n");
		c->state = S_QUIT;
		c->t0 = now_ns();
	}
}

static void
status_line(struct conn *c, int code)
{
	switch (c->state) {
	case S_GREET:
		if (code != 200 && code != 201) {
			fprintf(stderr, "nntp-load: greeting %d\n", code);
			if (c->role == R_WORK)
				st.errors++;
			c->state = S_DEAD;
			return;
		}
		if (c->role == R_WORK && c->op == OP_CONNECT) {
			send_cmd(c, "QUIT\r\n");
			c->state = S_QUIT;
			return;
		}
		send_cmd(c, "GROUP %s\r\n", group);
		c->state = S_GROUP;
		return;
	case S_GROUP:
		if (code != 211) {
			fprintf(stderr, "nntp-load: GROUP %s: %d\n", group, code);
			c->state = S_DEAD;
			return;
		}
		if (c->role == R_WORK && c->reconnect) {
			/* mix: the connect drawn on the last connection is done */
			if (measuring) {
				lat_add(now_ns() - c->t0);
				st.nop[OP_CONNECT]++;
			}
			c->reconnect = 0;
			c->state = S_RUN;
			issue(c);
			return;
		}
		if (c->role == R_WORK) {
			c->state = S_READY;
			c->walk = lo + (long)(rnd() % (uint64_t)(hi - lo + 1));
			if (++ready_n == active) {
				/* every worker is in the group: start the clock */
				begin_measure();
				for (long i = 0; i < active; i++) {
					workers[i]->state = S_RUN;
					issue(workers[i]);
				}
			}
			return;
		}
		c->state = S_READY;
		bg_ready++;
		if (bg_launched < nbg)
			start_conn(bg_launched < nidle ? R_IDLE : R_SLOW, OP_OVER,
			    bg_launched), bg_launched++;
		if (bg_ready == nbg)
			event_base_loopbreak(base);
		if (c->role == R_SLOW) {
			c->state = S_RUN;
			issue(c);
		}
		return;
	case S_RUN:
		c->code = code;
		if (c->role == R_SLOW ? code == 224 :
		    op_multi[c->qn > 0 ? c->sop[c->qh] : c->op] == code) {
			c->inbody = 1;
			c->ps = P_BOL;
			c->lines = 0;
		} else
			reply_done(c);
		return;
	case S_QUIT:
		if (c->role == R_WORK && c->op == OP_CONNECT) {
			if (code == 205) {
				if (measuring)
					lat_add(now_ns() - c->t0);
			} else
				st.errors++;
		} else if (c->reconnect) {
			if (code == 205)
				c->reconnect = 2;
			else
				st.errors++;
		}
		c->state = S_DEAD;
		return;
	default:
		return;
	}
}

/* A worker's connection is over: the next connect+QUIT on its slot, or done. */
static void
worker_end(struct conn *c)
{
	if (c->op == OP_CONNECT && !stopping && started < maxops) {
		int idx = c->idx;

		conn_free(c);
		free(c);
		started++;
		start_conn(R_WORK, OP_CONNECT, idx);
		return;
	}
	if (c->op == OP_MIX && c->reconnect == 2 && !stopping && started < maxops) {
		int idx = c->idx;
		uint64_t t0 = c->t0;

		conn_free(c);
		free(c);
		start_conn(R_WORK, OP_MIX, idx);
		workers[idx]->t0 = t0;
		workers[idx]->reconnect = 1;
		return;
	}
	worker_done(c);
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint64_t *bytes = c->role == R_SLOW ? &slow_bytes : &st.bytes;
	size_t n;
	char *line;

	while (c->state != S_DEAD) {
		if (c->inbody) {
			if (!scan_body(c, in, bytes))
				return;
			c->inbody = 0;
			reply_done(c);
			continue;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL)
			return;
		*bytes += n + 2;
		status_line(c, atoi(line));
		free(line);
	}
	/* S_DEAD */
	if (c->role == R_WORK)
		worker_end(c);
	else {
		conn_free(c);
		bg_lost++;
	}
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->role == R_WORK) {
			if (!(c->op == OP_CONNECT && c->state == S_DEAD)) {
				st.errors++;
				if (what & BEV_EVENT_ERROR)
					fprintf(stderr, "nntp-load: %s: %s\n", op_name[c->op],
					    strerror(EVUTIL_SOCKET_ERROR()));
			}
			c->state = S_DEAD;
			worker_end(c);
		} else {
			conn_free(c);
			bg_lost++;
			if (bg_ready + bg_lost >= nbg && !measuring)
				event_base_loopbreak(base);
		}
	}
}

static void
start_conn(enum role role, enum op op, int idx)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		die("out of memory");
	c->role = role;
	c->op = op;
	c->idx = idx;
	c->state = S_GREET;
	c->t0 = now_ns();
	if ((c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		die("bufferevent_socket_new");
	bufferevent_setcb(c->bev, readcb, NULL, eventcb, c);
	if (role == R_SLOW) {
		struct ev_token_bucket_cfg *cfg;

		struct timeval tick = { 0, 100000 };

		cfg = ev_token_bucket_cfg_new(slow_rate / 10, slow_rate / 10,
		    EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, &tick);
		bufferevent_set_rate_limit(c->bev, cfg);	/* cfg leaks, by design */
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin_srv,
	    sizeof(sin_srv)) == -1) {
		fprintf(stderr, "nntp-load: connect: %s\n", strerror(errno));
		st.errors++;
	}
	if (role == R_WORK)
		workers[idx] = c;
	else
		bg[idx] = c;
}

static void
stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	stopping = 1;
}

static void
bg_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	event_base_loopbreak(base);
}

static void
deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	fprintf(stderr, "nntp-load: %s: deadline passed, %ld requests outstanding;"
	    " giving up\n", op_name[cur_op], active);
	st.errors += active;
	for (long i = 0; i < conns; i++)
		if (workers[i] && workers[i]->state != S_DEAD)
			conn_free(workers[i]);
	active = 0;
	if (t_end == 0)
		t_end = now_ns();
	event_base_loopbreak(base);
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t n = st.n < LAT_MAX ? st.n : LAT_MAX;

	if (n == 0)
		return 0;
	return st.lat[(size_t)(p * (n - 1) + 0.5)] / 1e6;
}

static int
run_op(enum op op)
{
	double el, rps, aps, mbs, cpu = -1;
	struct timeval tv;
	int i;

	cur_op = op;
	free(st.lat);
	memset(&st, 0, sizeof(st));
	started = stopping = measuring = 0;
	t_start = t_end = 0;
	ready_n = 0;
	active = conns;
	workers = calloc(conns, sizeof(*workers));
	cpu0 = cpu1 = 0;
	cpu_lost = 0;
	if ((op == OP_ARTMID || op == OP_MIX) && nmsgids == 0) {
		fprintf(stderr, "nntp-load: %s: no message-ids\n", op_name[op]);
		return -1;
	}
	if (op == OP_CONNECT) {
		begin_measure();
		for (i = 0; i < conns && started < maxops; i++, started++)
			start_conn(R_WORK, OP_CONNECT, i);
		active = i;
	} else
		for (i = 0; i < conns; i++)
			start_conn(R_WORK, op, i);
	tv.tv_sec = (long)seconds + 60;
	tv.tv_usec = 0;
	event_add(ev_deadline, &tv);
	event_base_dispatch(base);
	evtimer_del(ev_stop);
	evtimer_del(ev_deadline);
	free(workers);
	workers = NULL;
	if (t_start == 0)
		t_start = t_end = now_ns();
	if (t_end == 0)
		t_end = now_ns();
	if (nspids > 0 && measuring) {
		struct timespec reap = { 0, 100000000 };

		nanosleep(&reap, NULL);
		cpu1 = server_cpu();
		/* less than at the start: a listed process or an unreaped child went away */
		if (!cpu_lost && cpu1 >= cpu0 && st.n > 0)
			cpu = (cpu1 - cpu0) * 1e6 / sysconf(_SC_CLK_TCK) / st.n;
	}
	el = (t_end - t_start) / 1e9;
	if (el <= 0)
		el = 1e-9;
	qsort(st.lat, st.n < LAT_MAX ? st.n : LAT_MAX, sizeof(*st.lat), cmp64);
	rps = st.n / el;
	aps = st.articles / el;
	mbs = st.bytes / el / 1e6;
	if (machine) {
		printf("RESULT op=%s conns=%d depth=%d ops=%zu errors=%llu seconds=%.3f"
		    " rps=%.1f aps=%.1f mbps=%.2f p50=%.3f p99=%.3f max=%.3f"
		    " idle=%d slow=%d bpo=%.0f", op_name[op], conns, depth, st.n,
		    (unsigned long long)st.errors, el, rps, aps, mbs, pct(0.5), pct(0.99),
		    st.max / 1e6, nidle, nslow, st.n ? (double)st.bytes / st.n : 0);
		if (nspids > 0)
			printf(" cpu_us=%.2f", cpu);
	} else {
		printf("%-8s %5d %5d %8zu %6llu %7.2f %10.1f %10.1f %8.2f %8.3f %8.3f %8.3f",
		    op_name[op], conns, depth, st.n, (unsigned long long)st.errors, el,
		    rps, aps, mbs, pct(0.5), pct(0.99), st.max / 1e6);
		if (nspids > 0)
			printf(" %8.1f", cpu);
	}
	printf("\n");
	if (op == OP_MIX) {
		printf("%smix", machine ? "RESULT " : "# ");
		for (i = 0; i < (int)(sizeof(mix) / sizeof(mix[0])); i++)
			printf(" %s=%llu", op_name[mix[i].op],
			    (unsigned long long)st.nop[mix[i].op]);
		printf("\n");
	}
	fflush(stdout);
	return st.n == 0 || st.errors > st.n / 10 ? -1 : 0;
}

/* Blocking setup: GROUP for the range, HDR Message-ID for artmid. */
static int
setup(int want_ids)
{
	FILE *f;
	int fd;
	char line[4096];
	long cnt;
	size_t cap = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin_srv, sizeof(sin_srv)) == -1) {
		fprintf(stderr, "nntp-load: connect 127.0.0.1:%d: %s\n",
		    ntohs(sin_srv.sin_port), strerror(errno));
		return -1;
	}
	f = fdopen(fd, "r+");
	if (!fgets(line, sizeof(line), f) || (line[0] != '2')) {
		fprintf(stderr, "nntp-load: bad greeting: %s", line);
		return -1;
	}
	fprintf(f, "GROUP %s\r\n", group);
	fflush(f);
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "211 %ld %ld %ld", &cnt, &lo, &hi) != 3 || cnt <= 0) {
		fprintf(stderr, "nntp-load: GROUP %s: %s", group, line);
		return -1;
	}
	if (want_ids) {
		fprintf(f, "HDR Message-ID %ld-%ld\r\n", lo, hi);
		fflush(f);
		if (!fgets(line, sizeof(line), f) || strncmp(line, "225", 3)) {
			fprintf(f, "XHDR Message-ID %ld-%ld\r\n", lo, hi);
			fflush(f);
			if (!fgets(line, sizeof(line), f) || strncmp(line, "221", 3)) {
				fprintf(stderr, "nntp-load: HDR Message-ID: %s", line);
				return -1;
			}
		}
		while (fgets(line, sizeof(line), f)) {
			char *sp, *e;

			if (!strcmp(line, ".\r\n"))
				break;
			if ((sp = strchr(line, ' ')) == NULL)
				continue;
			sp++;
			if ((e = strpbrk(sp, "\r\n")) != NULL)
				*e = '\0';
			if (*sp != '<')
				continue;
			if (nmsgids == cap) {
				cap = cap ? cap * 2 : 1024;
				msgids = realloc(msgids, cap * sizeof(*msgids));
			}
			msgids[nmsgids++] = strdup(sp);
		}
	}
	fprintf(f, "QUIT\r\n");
	fclose(f);
	return 0;
}

/* -L BYTES: the physical ceiling, BYTES pushed through a loopback TCP connection. */
static int
loopback(long long total)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int ls, fd, one = 1;
	long long got = 0;
	ssize_t n;
	pid_t pid;
	static char buf[65536];
	uint64_t t0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(ls, 1) == -1 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) == -1)
		die("loopback listen");
	t0 = now_ns();
	if ((pid = fork()) == 0) {
		long long left = total;

		close(ls);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
			_exit(1);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(buf, 'x', sizeof(buf));
		while (left > 0) {
			n = write(fd, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	if ((fd = accept(ls, NULL, NULL)) == -1)
		die("loopback accept");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	close(fd);
	close(ls);
	printf("%sloopback bytes=%lld seconds=%.6f mbps=%.1f\n", machine ? "RESULT " : "# ",
	    got, (now_ns() - t0) / 1e9, got / ((now_ns() - t0) / 1e9) / 1e6);
	return got == total ? 0 : 1;
}

/*
 * -E PORT: the responder, a server that does no work at all (the ceiling for the
 * request/response rows). One thread, libevent; every connection's replies are written
 * with one write() straight from its read callback (TCP_NODELAY); canned texts, no
 * storage. GROUP GROUP: 211 N 1 N; STAT/HEAD/ARTICLE n (1..N) or <n@responder>: a 223,
 * a canned head of -H bytes, a canned article of -A bytes (whole replies, status line and
 * terminator included); HDR Message-ID a-b: the ids (so that artmid can fetch them);
 * other HDR and OVER: 503; QUIT: 205 and close; anything else 500.
 */
struct rconn {
	int		 fd;
	struct event	*rev, *wev;
	char		 in[8192];
	size_t		 inlen;
	char		*out;
	size_t		 olen, ocap, ooff;
	int		 quit;
};

static long r_arts = 100000;
static long r_hsize = 870, r_asize = 1440;	/* a 100k-article confabd's mean HEAD, ARTICLE */
static char *r_head, *r_art;			/* canned texts, without the status line */
static size_t r_headlen, r_artlen;
static uint64_t r_conns, r_reqs;

static void
r_add(struct rconn *c, const void *p, size_t n)
{
	if (c->olen + n > c->ocap) {
		while (c->olen + n > c->ocap)
			c->ocap = c->ocap ? c->ocap * 2 : 4096;
		if ((c->out = realloc(c->out, c->ocap)) == NULL)
			die("out of memory");
	}
	memcpy(c->out + c->olen, p, n);
	c->olen += n;
}

static void r_printf(struct rconn *, const char *, ...) __attribute__((format(printf, 2, 3)));
static void
r_printf(struct rconn *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		r_add(c, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void
r_close(struct rconn *c)
{
	event_free(c->rev);
	event_free(c->wev);
	close(c->fd);
	free(c->out);
	free(c);
}

/* Write what is pending; 1 when the connection was closed. */
static int
r_flush(struct rconn *c)
{
	ssize_t n;

	while (c->ooff < c->olen) {
		if ((n = write(c->fd, c->out + c->ooff, c->olen - c->ooff)) > 0) {
			c->ooff += n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* the client is not reading: stop reading it until this has gone */
			if (!event_pending(c->wev, EV_WRITE, NULL)) {
				event_del(c->rev);
				event_add(c->wev, NULL);
			}
			return 0;
		}
		if (n == -1 && errno == EINTR)
			continue;
		r_close(c);
		return 1;
	}
	c->olen = c->ooff = 0;
	if (c->quit) {
		r_close(c);
		return 1;
	}
	if (event_pending(c->wev, EV_WRITE, NULL)) {
		event_del(c->wev);
		event_add(c->rev, NULL);
	}
	return 0;
}

/* An article named by number or <n@responder>: its number, 0 for none such. */
static long
r_article(const char *arg)
{
	char *e;
	long n;

	if (*arg == '<') {
		n = strtol(arg + 1, &e, 10);
		if (strcmp(e, "@responder>"))
			return 0;
	} else {
		n = strtol(arg, &e, 10);
		if (e == arg || *e != '\0')
			return 0;
	}
	return n >= 1 && n <= r_arts ? n : 0;
}

static void
r_command(struct rconn *c, char *line)
{
	char *arg, *sp;
	long n, a, b;

	r_reqs++;
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp = '\0';
		arg = sp + 1;
	} else
		arg = line + strlen(line);
	if (!strcasecmp(line, "STAT") || !strcasecmp(line, "HEAD") ||
	    !strcasecmp(line, "ARTICLE")) {
		if (*arg == '\0') {
			r_printf(c, "420 no current article\r\n");
			return;
		}
		if ((n = r_article(arg)) == 0) {
			r_printf(c, *arg == '<' ? "430 no such article\r\n" :
			    "423 no such article number\r\n");
			return;
		}
		switch (line[0] | 0x20) {
		case 's':
			r_printf(c, "223 %ld <%ld@responder> status\r\n", n, n);
			return;
		case 'h':
			r_printf(c, "221 %ld <%ld@responder> head\r\n", n, n);
			r_add(c, r_head, r_headlen);
			return;
		default:
			r_printf(c, "220 %ld <%ld@responder> article\r\n", n, n);
			r_add(c, r_art, r_artlen);
			return;
		}
	}
	if (!strcasecmp(line, "GROUP")) {
		if (strcmp(arg, group))
			r_printf(c, "411 no such group\r\n");
		else
			r_printf(c, "211 %ld 1 %ld %s\r\n", r_arts, r_arts, group);
		return;
	}
	if (!strcasecmp(line, "HDR") && (sp = strchr(arg, ' ')) != NULL) {
		*sp++ = '\0';
		if (strcasecmp(arg, "Message-ID")) {
			r_printf(c, "503 the responder keeps no headers\r\n");
			return;
		}
		a = strtol(sp, &sp, 10);
		b = *sp == '-' ? (sp[1] ? strtol(sp + 1, NULL, 10) : r_arts) : a;
		r_printf(c, "225 Headers follow\r\n");
		for (a = a < 1 ? 1 : a; a <= b && a <= r_arts; a++)
			r_printf(c, "%ld <%ld@responder>\r\n", a, a);
		r_add(c, ".\r\n", 3);
		return;
	}
	if (!strcasecmp(line, "HDR") || !strcasecmp(line, "OVER")) {
		r_printf(c, "503 the responder keeps no overview\r\n");
		return;
	}
	if (!strcasecmp(line, "QUIT")) {
		r_printf(c, "205 bye\r\n");
		c->quit = 1;
		return;
	}
	r_printf(c, "500 what?\r\n");
}

static void
r_readcb(evutil_socket_t fd, short ev, void *arg)
{
	struct rconn *c = arg;
	char *p, *nl, *end;
	ssize_t n;

	(void)ev;
	if ((n = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		r_close(c);	/* EOF or error */
		return;
	}
	c->inlen += n;
	p = c->in;
	end = c->in + c->inlen;
	while (!c->quit && (nl = memchr(p, '\n', end - p)) != NULL) {
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		r_command(c, p);
		p = nl + 1;
	}
	if (c->quit)
		c->inlen = 0;
	else if (p == c->in && c->inlen == sizeof(c->in)) {
		r_close(c);	/* a line of 8 KiB */
		return;
	} else {
		c->inlen = end - p;
		memmove(c->in, p, c->inlen);
	}
	r_flush(c);
}

static void
r_writecb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev;
	r_flush(arg);
}

static void
r_acceptcb(evutil_socket_t ls, short ev, void *arg)
{
	struct rconn *c;
	int fd, one = 1;
	static const char greet[] = "200 responder ready\r\n";

	(void)ev; (void)arg;
	for (int i = 0; i < 64; i++) {
		if ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			die("out of memory");
		c->fd = fd;
		c->rev = event_new(base, fd, EV_READ | EV_PERSIST, r_readcb, c);
		c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, r_writecb, c);
		if (c->rev == NULL || c->wev == NULL)
			die("event_new");
		event_add(c->rev, NULL);
		r_conns++;
		r_add(c, greet, sizeof(greet) - 1);
		r_flush(c);
	}
}

static void
r_sigcb(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig; (void)ev; (void)arg;
	event_base_loopbreak(base);
}

/* LEN bytes of words, exactly, lines broken with FOLD past column 66. */
static void
r_fill(char *dst, size_t len, const char *fold)
{
	static const char *w[] = { "energy", "claim", "steam", "output", "reactor",
	    "measure", "patent", "question", "heat", "investors", "facility", "answer" };
	size_t i = 0, col = 0, k, n;
	const char *s;

	for (k = 0; i < len; k++) {
		s = w[k % (sizeof(w) / sizeof(w[0]))];
		for (n = 0; s[n] && i < len; n++, col++)
			dst[i++] = s[n];
		s = col > 66 ? fold : " ";
		col = col > 66 ? 0 : col + 1;
		for (n = 0; s[n] && i < len; n++)
			dst[i++] = s[n];
	}
	/* no trailing space or half a line break where it was cut off */
	for (i = len; i > 0 && strchr("\r\n ", dst[i - 1]) != NULL; i--)
		dst[i - 1] = 'x';
}

/* The canned head (after the status line, up to and with its ".\r\n") and article, so
 * that a whole reply has -H and -A bytes for a status line of an n as long as N. */
static void
r_canned(void)
{
	static const char fixed[] =
	    "Path: responder!not-for-mail\r\n"
	    "From: Commenter 374 <iuw2p3lta2@bench.invalid>\r\n"
	    "Newsgroups: blogs.bench\r\n"
	    "Date: Fri, 22 Apr 2011 08:46:40 +0000\r\n"
	    "Message-ID: <1@responder>\r\n"
	    "References: <p40@bench.invalid> <p40.c103918@bench.invalid>\r\n"
	    "In-Reply-To: <p40.c103918@bench.invalid>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "Subject: Re: ";
	char st[128];
	long fl = sizeof(fixed) - 1, hs, as;
	int sl;

	sl = snprintf(st, sizeof(st), "221 %ld <%ld@responder> head\r\n", r_arts, r_arts);
	/* header lines (the Subject filled up), then for the article "\r\n", body lines */
	hs = r_hsize - sl - 3;
	if (hs < fl + 20)
		hs = fl + 20;
	as = r_asize - (sl + 3) - 3;	/* "article" is 3 bytes longer than "head" */
	if (as < hs + 12)
		as = hs + 12;
	r_headlen = hs + 3;
	r_artlen = as + 3;
	if ((r_head = malloc(r_headlen)) == NULL || (r_art = malloc(r_artlen)) == NULL)
		die("out of memory");
	memcpy(r_head, fixed, fl);
	r_fill(r_head + fl, hs - fl - 2, "\r\n ");
	memcpy(r_head + hs - 2, "\r\n", 2);
	memcpy(r_art, r_head, hs);
	memcpy(r_head + hs, ".\r\n", 3);
	memcpy(r_art + hs, "\r\n", 2);
	r_fill(r_art + hs + 2, as - hs - 4, "\r\n");
	memcpy(r_art + as - 2, "\r\n.\r\n", 5);
}

static int
responder(int port)
{
	struct sockaddr_in a;
	struct event *lev, *sterm, *sint;
	int ls, one = 1;

	signal(SIGPIPE, SIG_IGN);
	r_canned();
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(ls, 511) == -1) {
		fprintf(stderr, "nntp-load: responder: 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	if ((base = event_base_new()) == NULL)
		die("event_base_new");
	lev = event_new(base, ls, EV_READ | EV_PERSIST, r_acceptcb, NULL);
	sterm = evsignal_new(base, SIGTERM, r_sigcb, NULL);
	sint = evsignal_new(base, SIGINT, r_sigcb, NULL);
	if (lev == NULL || sterm == NULL || sint == NULL)
		die("event_new");
	event_add(lev, NULL);
	event_add(sterm, NULL);
	event_add(sint, NULL);
	fprintf(stderr, "nntp-load: responder on 127.0.0.1:%d, %s 1-%ld, HEAD %zu bytes,"
	    " ARTICLE %zu bytes (for a %ld)\n", port, group, r_arts,
	    r_headlen + snprintf(NULL, 0, "221 %ld <%ld@responder> head\r\n", r_arts, r_arts),
	    r_artlen + snprintf(NULL, 0, "220 %ld <%ld@responder> article\r\n", r_arts, r_arts),
	    r_arts);
	event_base_dispatch(base);
	fprintf(stderr, "nntp-load: responder: %llu connections, %llu requests\n",
	    (unsigned long long)r_conns, (unsigned long long)r_reqs);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nntp-load -p PORT -g GROUP [-c CONNS] [-d DEPTH]"
	    " [-t SECONDS] [-n MAXOPS]\n\t[-o connect,over,hdr,article,artmid,head,stat,mix]"
	    " [-I IDLE] [-S SLOW] [-R BYTES/S]\n\t[-P PID,...] [-m]\n"
	    "       nntp-load -L BYTES [-m]\n"
	    "       nntp-load -E PORT -g GROUP [-a N] [-H BYTES] [-A BYTES]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *ops = "connect,over,hdr,article,artmid,head,stat";
	char *list, *tok, *save, *pids = NULL;
	int ch, port = 0, rport = 0, fail = 0, sel[OP_N] = { 0 }, want_ids = 0, i;
	struct rlimit rl;
	long long lbytes = 0;

	while ((ch = getopt(argc, argv, "A:a:c:d:E:g:H:h:I:L:mn:o:P:p:R:S:t:")) != -1) {
		switch (ch) {
		case 'A': r_asize = atol(optarg); break;
		case 'a': r_arts = atol(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'E': rport = atoi(optarg); break;
		case 'g': group = optarg; break;
		case 'H': r_hsize = atol(optarg); break;
		case 'h':
			if (strcmp(optarg, "127.0.0.1") && strcmp(optarg, "localhost"))
				die("only 127.0.0.1 is allowed");
			break;
		case 'I': nidle = atoi(optarg); break;
		case 'L': lbytes = atoll(optarg); break;
		case 'm': machine = 1; break;
		case 'n': maxops = atol(optarg); break;
		case 'o': ops = optarg; break;
		case 'P': pids = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'R': slow_rate = atol(optarg); break;
		case 'S': nslow = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		default: usage();
		}
	}
	if (lbytes > 0)
		return loopback(lbytes);
	if (rport != 0) {
		if (rport < 0 || rport > 65535 || group == NULL || r_arts < 1 ||
		    r_arts > 1000000000 || r_hsize < 1 || r_hsize > 1 << 20 || r_asize < 1 ||
		    r_asize > 1 << 20)
			usage();
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		return responder(rport);
	}
	if (port <= 0 || port > 65535 || group == NULL || conns < 1 || depth < 1 ||
	    depth > MAXDEPTH || seconds <= 0 || seconds > 3600 || maxops < 1 ||
	    nidle < 0 || nslow < 0 || slow_rate < 10)
		usage();
	list = strdup(ops);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < OP_N; i++)
			if (!strcmp(tok, op_name[i]))
				break;
		if (i == OP_N) {
			fprintf(stderr, "nntp-load: unknown operation %s\n", tok);
			usage();
		}
		sel[i] = 1;
		if (i == OP_ARTMID || i == OP_MIX)
			want_ids = 1;
	}
	if (pids != NULL) {
		list = strdup(pids);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			long pid = atol(tok), pp;
			uint64_t t;

			if (pid <= 0)
				usage();
			if (proc_cpu(tok, &pp, &t) == -1) {
				fprintf(stderr, "nntp-load: -P %s: no such process\n", tok);
				return 2;
			}
			if ((spids = realloc(spids, (nspids + 1) * sizeof(*spids))) == NULL)
				die("out of memory");
			spids[nspids++] = pid;
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sin_srv, 0, sizeof(sin_srv));
	sin_srv.sin_family = AF_INET;
	sin_srv.sin_port = htons(port);
	sin_srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setup(want_ids) == -1)
		return 1;
	if ((base = event_base_new()) == NULL)
		die("event_base_new");
	ev_stop = evtimer_new(base, stop_cb, NULL);
	ev_deadline = evtimer_new(base, deadline_cb, NULL);

	nbg = nidle + nslow;
	if (nbg > 0) {
		struct event *dl = evtimer_new(base, bg_deadline_cb, NULL);

		bg = calloc(nbg, sizeof(*bg));
		for (bg_launched = 0; bg_launched < nbg && bg_launched < 64; bg_launched++)
			start_conn(bg_launched < nidle ? R_IDLE : R_SLOW, OP_OVER, bg_launched);
		struct timeval tv = { 60, 0 };

		event_add(dl, &tv);
		event_base_dispatch(base);
		evtimer_del(dl);
		if (bg_ready < nbg)
			fprintf(stderr, "nntp-load: only %d of %d idle/slow connections"
			    " established\n", bg_ready, nbg);
	}
	if (!machine)
		printf("# 127.0.0.1:%d %s articles %ld-%ld, %zu message-ids; idle %d, slow %d"
		    " (%ld B/s)\n%-8s %5s %5s %8s %6s %7s %10s %10s %8s %8s %8s %8s%s\n", port,
		    group, lo, hi, nmsgids, nidle, nslow, slow_rate, "op", "conns", "depth",
		    "ops", "errors", "seconds", "req/s", "art/s", "MB/s", "p50ms", "p99ms",
		    "maxms", nspids > 0 ? "   cpu_us" : "");
	for (i = 0; i < OP_N; i++)
		if (sel[i] && run_op(i) == -1)
			fail = 1;
	if (nbg > 0) {
		int alive = 0;

		for (i = 0; i < nbg; i++)
			if (bg[i] && bg[i]->bev && bg[i]->state != S_DEAD)
				alive++;
		printf("%sbackground idle=%d slow=%d alive=%d lost=%d slow_overs=%ld"
		    " slow_bytes=%llu\n", machine ? "RESULT " : "# ", nidle, nslow, alive,
		    bg_lost, slow_overs, (unsigned long long)slow_bytes);
		for (i = 0; i < nbg; i++)
			if (bg[i] && bg[i]->bev)
				conn_free(bg[i]);
	}
	event_free(ev_stop);
	event_free(ev_deadline);
	event_base_free(base);
	return fail;
}

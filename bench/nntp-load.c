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
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static void
usage(void)
{
	fprintf(stderr, "usage: nntp-load -p PORT -g GROUP [-c CONNS] [-d DEPTH]"
	    " [-t SECONDS] [-n MAXOPS]\n\t[-o connect,over,hdr,article,artmid,head,stat,mix]"
	    " [-I IDLE] [-S SLOW] [-R BYTES/S]\n\t[-P PID,...] [-m]\n"
	    "       nntp-load -L BYTES [-m]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *ops = "connect,over,hdr,article,artmid,head,stat";
	char *list, *tok, *save, *pids = NULL;
	int ch, port = 0, fail = 0, sel[OP_N] = { 0 }, want_ids = 0, i;
	struct rlimit rl;
	long long lbytes = 0;

	while ((ch = getopt(argc, argv, "c:d:g:h:I:L:mn:o:P:p:R:S:t:")) != -1) {
		switch (ch) {
		case 'c': conns = atoi(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'g': group = optarg; break;
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

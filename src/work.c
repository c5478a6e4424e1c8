/* work.c: a small pool of threads for blocking work; a pipe wakes the loop when a job
 * is done, and its done callback runs there. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "work.h"

struct job {
	struct job	*next;
	work_fn		 fn;
	work_done	 done;
	void		*arg;
};

struct workers {
	pthread_mutex_t	 lock;
	pthread_cond_t	 more;
	struct job	*todo, **todo_tail;	/* FIFO */
	struct job	*finished;
	int		 stop;
	int		 nthreads;
	pthread_t	*threads;
	int		 wake[2];		/* worker -> loop */
	struct event	*ev;
};

static void *
worker(void *arg)
{
	struct workers	*w = arg;
	struct job	*j;
	char		 c = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->more, &w->lock);
		if (w->todo == NULL)
			break;
		j = w->todo;
		if ((w->todo = j->next) == NULL)
			w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->lock);
		j->fn(j->arg);
		pthread_mutex_lock(&w->lock);
		j->next = w->finished;
		w->finished = j;
		if (write(w->wake[1], &c, 1) == -1 && errno != EAGAIN)
			log_warn("work: wake: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void
wakecb(evutil_socket_t fd, short ev, void *arg)
{
	struct workers	*w = arg;
	struct job	*j, *next;
	char		 buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	j = w->finished;
	w->finished = NULL;
	pthread_mutex_unlock(&w->lock);
	for (; j != NULL; j = next) {	/* newest first: order does not matter */
		next = j->next;
		j->done(j->arg);
		free(j);
	}
}

struct workers *
workers_new(struct event_base *base, int nthreads)
{
	struct workers	*w = xcalloc(1, sizeof(*w));
	int		 i;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	w->todo_tail = &w->todo;
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("work: pipe: %s", strerror(errno));
	w->ev = event_new(base, w->wake[0], EV_READ | EV_PERSIST, wakecb, w);
	event_add(w->ev, NULL);
	w->threads = xcalloc((size_t)nthreads, sizeof(*w->threads));
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&w->threads[i], NULL, worker, w) != 0)
			fatal("work: pthread_create");
	w->nthreads = nthreads;
	return w;
}

void
work_submit(struct workers *w, work_fn fn, work_done done, void *arg)
{
	struct job	*j = xcalloc(1, sizeof(*j));

	j->fn = fn;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->lock);
	*w->todo_tail = j;
	w->todo_tail = &j->next;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
}

void
workers_free(struct workers *w)
{
	struct job	*j, *next;
	int		 i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->more);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	event_free(w->ev);
	for (j = w->finished; j != NULL; j = next) {	/* their done() frees them */
		next = j->next;
		j->done(j->arg);
		free(j);
	}
	close(w->wake[0]);
	close(w->wake[1]);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->more);
	free(w->threads);
	free(w);
}

struct storework {
	struct store_pool	*pool;
	store_work_fn		 run;
	store_work_done		 done;
	void			*arg;
	int			 ok;
};

static void
storework_run(void *arg)
{
	struct storework	*j = arg;
	struct store		*st;
	char			 err[256];

	if ((st = store_pool_get(j->pool, err, sizeof(err))) == NULL) {
		log_warn("store: %s", err);
		return;
	}
	j->run(st, j->arg);
	store_pool_put(j->pool, st);
	j->ok = 1;
}

static void
storework_done(void *arg)
{
	struct storework	*j = arg;

	j->done(j->arg, j->ok);
	free(j);
}

void
work_store(struct workers *w, struct store_pool *pool, struct store *st,
    store_work_fn run, store_work_done done, void *arg)
{
	struct storework	*j;

	if (pool == NULL) {
		run(st, arg);
		done(arg, 1);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->pool = pool;
	j->run = run;
	j->done = done;
	j->arg = arg;
	work_submit(w, storework_run, storework_done, j);
}

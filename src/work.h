/* work.h: blocking work (password hashing) off the event loop: fn runs on a worker
 * thread, then done runs on the loop's thread. */
#ifndef CONFAB_WORK_H
#define CONFAB_WORK_H

#include <event2/event.h>

struct workers;
typedef void (*work_fn)(void *arg);	/* on a worker thread: touch only arg */
typedef void (*work_done)(void *arg);	/* on the loop, after fn */

/* nthreads worker threads for base. Caller owns (workers_free). */
struct workers	*workers_new(struct event_base *, int nthreads);
/* Queue fn(arg), then done(arg) on the loop. */
void		 work_submit(struct workers *, work_fn, work_done, void *arg);
/* A store's work: run(st, arg) on a worker thread with a store of pool (PostgreSQL:
 * the loop never waits on its network), then done(arg, ok) on the loop; ok 0 when no
 * store could be had (logged), run not called. Without a pool both run at once, on
 * the loop, with `st`, before work_store() returns. */
struct store;
struct store_pool;
typedef void (*store_work_fn)(struct store *, void *arg);
typedef void (*store_work_done)(void *arg, int ok);
void		 work_store(struct workers *, struct store_pool *, struct store *st,
		    store_work_fn run, store_work_done done, void *arg);
/* Finish the work queued so far, stop the threads, and run the pending done callbacks
 * (here, outside the loop). */
void		 workers_free(struct workers *);

#endif

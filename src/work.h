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
/* Finish the work queued so far, stop the threads, and run the pending done callbacks
 * (here, outside the loop). */
void		 workers_free(struct workers *);

#endif

/* test_overview.c: overview lines kept in memory follow the store (appends, withdrawals
 * by another connection), are found by number, evicted least recently used first, and
 * not kept for a group larger than the limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "overview.h"
#include "store.h"
#include "tap.h"

/* Add n articles to group gid through st; their ids in ids[] when given. */
static void
add(struct store *st, long long gid, const char *tag, int n, long long *ids)
{
	struct store_newart	na;
	char			msgid[64], over[128];
	long long		num, id;
	int			i;

	memset(&na, 0, sizeof(na));
	na.gids = &gid;
	na.nums = &num;
	na.ngroups = 1;
	na.data = "Subject: x\r\n\r\nbody\r\n";
	na.len = strlen(na.data);
	na.head_len = 14;
	store_begin(st);
	for (i = 0; i < n; i++) {
		store_group_next_number(st, gid, &num);
		snprintf(msgid, sizeof(msgid), "<%s%lld@t>", tag, num);
		snprintf(over, sizeof(over), "s%lld\tf\td\t%s\t\t20\t1\tXref: h g:%lld", num, msgid,
		    num);
		na.msgid = msgid;
		na.over = over;
		store_article_add(st, &na, &id);
		if (ids)
			ids[i] = id;
	}
	store_commit(st);
}

/* Line i of g as a string (static). */
static const char *
line(const struct ovgroup *g, size_t i)
{
	static char	buf[256];

	snprintf(buf, sizeof(buf), "%.*s", (int)(g->offs[i + 1] - g->offs[i]),
	    g->text + g->offs[i]);
	return buf;
}

int
main(void)
{
	char			 dir[] = "/tmp/confab-test-ov-XXXXXX", path[256], err[256];
	struct store		*st, *other;
	struct ovcache		*c;
	const struct ovgroup	*g;
	long long		 ga, gb, gc, gd, ids[10], cids[2 * OV_STEP + 100];
	int			 i;
	size_t			 ngroups, one, len;
	const char		*id;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	st = store_open(path, 1000, err, sizeof(err));
	other = store_open(path, 1000, err, sizeof(err));	/* confab import, say */
	store_group_ensure(st, "g.a", NULL, 1, &ga);
	store_group_ensure(st, "g.b", NULL, 1, &gb);
	add(st, ga, "a", 10, ids);
	add(st, gb, "b", 5, NULL);

	c = ov_new(64 * 1024 * 1024);
	g = ov_get(c, st, ga);
	ok(g != NULL, "a group's overview is kept");
	is_int(g->n, 10, "ten lines");
	is_str(line(g, 2), "3\ts3\tf\td\t<a3@t>\t\t20\t1\tXref: h g:3\r\n",
	    "a line is the number, the fields and CRLF");
	is_int(ov_find(g, 0), 0, "find before the first");
	is_int(ov_find(g, 4), 3, "find a number");
	is_int(ov_find(g, 11), 10, "find past the last");
	ok(ov_get(c, st, ga) == g, "unchanged: the same lines");

	add(other, ga, "a", 2, NULL);
	g = ov_get(c, st, ga);
	is_int(g->n, 12, "two articles added by another connection: appended");
	is_str(line(g, 11), "12\ts12\tf\td\t<a12@t>\t\t20\t1\tXref: h g:12\r\n", "the new last");
	is_str(line(g, 0), "1\ts1\tf\td\t<a1@t>\t\t20\t1\tXref: h g:1\r\n", "the first intact");

	store_article_withdraw(other, ids[3]);
	g = ov_get(c, st, ga);
	is_int(g->n, 11, "a withdrawal by another connection: one line fewer");
	is_int(g->nums[3], 5, "number 4 is gone");
	is_int(ov_find(g, 4), 3, "and a search for it lands on 5");

	ok((id = ov_msgid(g, 5, &len)) != NULL && len == 6 && !strncmp(id, "<a5@t>", 6),
	    "the Message-ID of a line");
	ok(ov_msgid(g, 4, &len) == NULL, "none for a withdrawn number");
	ok(ov_msgid(g, 13, &len) == NULL, "none past the end");

	/* Withdrawals and additions together. */
	store_article_withdraw(other, ids[0]);
	store_article_withdraw(other, ids[9]);
	add(other, ga, "a", 2, NULL);
	g = ov_get(c, st, ga);
	is_int(g->n, 11, "two withdrawn and two added at once: 11 lines");
	ok(g->nums[0] == 2 && g->nums[6] == 9 && g->nums[7] == 11 && g->nums[10] == 14,
	    "the right ones");
	is_str(line(g, 9), "13\ts13\tf\td\t<a13@t>\t\t20\t1\tXref: h g:13\r\n",
	    "lines intact after the gaps closed");
	ok((id = ov_msgid(g, 8, &len)) != NULL && !strncmp(id, "<a8@t>", len),
	    "and found by number");

	/* Inside one read snapshot the lines are checked once and stay as they were. */
	store_read_begin(st);
	g = ov_get(c, st, ga);
	add(other, ga, "a", 1, NULL);
	g = ov_get(c, st, ga);
	is_int(g->n, 11, "a snapshot does not see a later addition");
	store_read_end(st);
	g = ov_get(c, st, ga);
	is_int(g->n, 12, "after it, the addition is there");

	g = ov_get(c, st, gb);
	is_int(g ? g->n : 0, 5, "a second group kept");
	ov_size(c, &ngroups);
	is_int(ngroups, 2, "both groups kept");

	/* Room for one group: the least recently used goes. */
	one = ov_size(c, &ngroups) / 2 + 1024;
	ov_set_max(c, one);
	ov_size(c, &ngroups);
	is_int(ngroups, 1, "a smaller limit drops a group at once");
	g = ov_get(c, st, ga);
	ok(g != NULL && g->n == 12, "the other group is read again");
	ov_size(c, &ngroups);
	is_int(ngroups, 1, "and the one used least recently was dropped for it");
	ok(ov_size(c, &ngroups) <= one, "within the limit");

	ov_set_max(c, 4096);
	ok(ov_get(c, st, ga) == NULL, "a group larger than the limit is not kept");
	is_int(ov_size(c, &ngroups), 0, "nothing kept");
	ov_set_max(c, 64 * 1024 * 1024);
	ok(ov_get(c, st, ga) != NULL, "a larger limit: kept again");

	/* A big group is read a step at a time; what changes meanwhile is mended. */
	store_group_ensure(st, "g.c", NULL, 1, &gc);
	add(st, gc, "c", 2 * OV_STEP + 100, cids);
	ok(ov_get(c, st, gc) == NULL, "a big group: not whole after one step");
	store_article_withdraw(other, cids[4]);
	add(other, gc, "c", 3, NULL);
	ok(ov_get(c, st, gc) == NULL, "nor after two, while another connection changes it");
	g = ov_get(c, st, gc);
	ok(g != NULL, "whole after the third");
	is_int(g ? g->n : 0, 2 * OV_STEP + 102, "every live article, the new ones too");
	ok(g && ov_msgid(g, 5, &len) == NULL, "the one withdrawn after its step was read is gone");
	ok(g && g->nums[g->n - 1] == 2 * OV_STEP + 103, "the last one added is there");
	ok(ov_get(c, st, gc) == g, "and then kept");

	/* Pipelined commands share a snapshot: one step for all of them. */
	store_group_ensure(st, "g.d", NULL, 1, &gd);
	add(st, gd, "d", 2 * OV_STEP + 100, NULL);
	store_read_begin(st);
	for (i = 0; i < 5; i++)
		g = ov_get(c, st, gd);
	store_read_end(st);
	ok(g == NULL, "five uses in one snapshot read one step");
	ok(ov_get(c, st, gd) == NULL && ov_get(c, st, gd) != NULL, "two more steps after it");

	ov_set_max(c, 0);
	ok(ov_get(c, st, ga) == NULL, "limit 0: nothing kept");
	ov_free(c);

	store_close(st);
	store_close(other);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}

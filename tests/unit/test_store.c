/* test_store.c: schema, migrations, WAL, numbers assigned once and never reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "tap.h"

static int
count_cb(long long num, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

int
main(void)
{
	char			 dir[] = "/tmp/confab-test-store-XXXXXX", path[256], err[256];
	struct store		*st, *st2;
	struct store_group	 g;
	struct store_newart	 na;
	struct store_article	 a;
	long long		 gid, num, id1, id2, id3, last;
	int			 n = 0;
	sqlite3			*db;
	sqlite3_stmt		*q;
	char			*m = NULL, *h = NULL;
	int			 live;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	st = store_open(path, 1000, err, sizeof(err));
	ok(st != NULL, "store opens and creates (%s)", st ? "" : err);
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "schema at current version");

	/* WAL mode, and a second connection (the admin command) at the same time. */
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL);
	sqlite3_step(q);
	is_str((const char *)sqlite3_column_text(q, 0), "wal", "journal mode is WAL");
	sqlite3_finalize(q);
	sqlite3_close(db);
	st2 = store_open(path, 1000, err, sizeof(err));
	ok(st2 != NULL, "a second process can open the store at once");

	ok(store_group_ensure(st, "blogs.t", "Test", 1, &gid) == 0, "group created");
	ok(store_group_get(st2, "blogs.t", &g) == 0, "the other connection sees it");
	is_int(g.count, 0, "empty group: count 0");
	is_int(g.high, 0, "empty group: high 0");
	is_int(g.low, 1, "empty group: low = high + 1 (never 0)");
	store_group_clear(&g);
	ok(store_group_get(st, "nope", &g) == 1, "unknown group is not found");

	memset(&na, 0, sizeof(na));
	na.gids = &gid;
	na.nums = &num;
	na.ngroups = 1;
	na.data = "Subject: x\r\n\r\nbody\r\n";
	na.len = strlen(na.data);
	na.head_len = 14;
	na.over = "x\tf\td\t<a@b>\t\t20\t1\tXref: h blogs.t:1";
	store_begin(st);
	store_group_next_number(st, gid, &num);
	is_int(num, 1, "first number is 1");
	na.msgid = "<a@b>";
	store_article_add(st, &na, &id1);
	store_group_next_number(st, gid, &num);
	na.msgid = "<b@b>";
	store_article_add(st, &na, &id2);
	store_commit(st);
	ok(store_article_by_num(st, gid, 2, &a) == 0 && !strcmp(a.msgid, "<b@b>"),
	    "article by number");
	is_int(a.len, strlen(na.data), "data round-trips");
	store_article_clear(&a);
	ok(store_msgid_exists(st, "<a@b>") == 0, "message-id exists");

	/* Withdraw the last one: its number is never handed out again. */
	store_article_withdraw(st, id2);
	store_group_get(st, "blogs.t", &g);
	is_int(g.count, 1, "withdrawn article no longer counted");
	is_int(g.high, 2, "high water mark does not go down");
	store_group_clear(&g);
	store_begin(st);
	store_group_next_number(st, gid, &num);
	is_int(num, 3, "numbers are not reused after a withdrawal");
	na.msgid = "<c@b>";
	store_article_add(st, &na, &id3);
	store_commit(st);
	ok(store_article_msgid(st, id2, &m, &live) == 0 && live == 0, "withdrawn is not live");
	free(m);
	store_numbers_range(st, gid, 1, 100, 100, count_cb, &n, &last);
	is_int(n, 2, "LISTGROUP range skips withdrawn numbers");
	ok(store_article_step(st, gid, 1, 1, &num) == 0 && num == 3, "NEXT skips withdrawn");
	ok(store_article_step(st, gid, 3, -1, &num) == 0 && num == 1, "LAST skips withdrawn");
	ok(store_article_num(st, gid, "<c@b>", &num) == 0 && num == 3, "number of a msgid");

	/* Users. */
	ok(store_user_put(st, "alice", "$y$hash") == 0, "user saved");
	ok(store_user_hash(st2, "alice", &h) == 0 && !strcmp(h, "$y$hash"), "user read back");
	free(h);
	is_int(store_user_del(st, "bob"), 1, "deleting an unknown user says so");

	store_close(st2);
	store_close(st);
	/* Reopen: no migration runs twice. */
	st = store_open(path, 1000, err, sizeof(err));
	ok(st != NULL && store_schema_version(st) == STORE_SCHEMA_VERSION, "reopens");
	store_close(st);

	/* A store from a newer confab is refused, not damaged. */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(path, 1000, err, sizeof(err));
	ok(st == NULL && strstr(err, "newer"), "newer schema refused: %s", err);

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return tap_done();
}

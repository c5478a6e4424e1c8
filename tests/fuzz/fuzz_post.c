/* fuzz_post.c: libFuzzer harness for the posting path (post.c): arbitrary bytes as an
 * article to post_article() against a store seeded once with the fixture thread, and as
 * text to post_text_to_html().
 *
 * The first byte picks the mode: bit 0 set, post_text_to_html (bits 1, 2: flowed, delsp);
 * otherwise post_article (bit 1: as an authenticated user). The fixture is
 * $CONFAB_FIXTURE, else tests/data/ecatworld.wxr under $top_srcdir or the current
 * directory; the store lives in a temporary directory removed at exit. */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "post.h"
#include "secret.h"
#include "store.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store	*st;
static struct conf	*conf;
static unsigned char	 key[SECRET_LEN];
static char		 dir[] = "/tmp/fuzz_post.XXXXXX";

static void
cleanup(void)
{
	const char	*files[] = { "confab.db", "confab.db-wal", "confab.db-shm",
			    "confabd.conf", "secret" };
	char		 path[512];
	size_t		 i;

	if (st != NULL)
		store_close(st);
	st = NULL;
	conf_free(conf);
	conf = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static const char *
fixture(void)
{
	static char	 path[1024];
	const char	*e;

	if ((e = getenv("CONFAB_FIXTURE")) != NULL)
		return e;
	snprintf(path, sizeof(path), "%s/tests/data/ecatworld.wxr",
	    (e = getenv("top_srcdir")) != NULL ? e : ".");
	if (access(path, R_OK) == 0)
		return path;
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct conf_source *src;
	struct importer		*im;
	struct ingest_result	 res;
	const char		*fx;
	char			 path[512], err[512];
	FILE			*f;

	(void)argc;
	(void)argv;
	log_init(LOG_LVL_ERR, "fuzz_post");
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp: %s", dir);
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/confabd.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		fatal("%s", path);
	fprintf(f, "[server]\nhostname = news.example.test\nlisten = 127.0.0.1:1\n"
	    "secret_file = %s/secret\n[store]\npath = %s/confab.db\n"
	    "[source ecatworld]\ntype = local\ngroup = blogs.ecatworld\n"
	    "domain = e-catworld.example\nposting = open\n"
	    "[source other]\ntype = local\ngroup = blogs.other\nposting = auth\n"
	    "[source closed]\ntype = local\ngroup = blogs.closed\nposting = no\n", dir, dir);
	fclose(f);
	if ((conf = conf_load(path, err, sizeof(err))) == NULL)
		fatal("conf_load: %s", err);
	if ((st = store_open(conf->store_path, 5000, err, sizeof(err))) == NULL)
		fatal("store_open: %s", err);
	if (secret_load(conf->secret_file, key, err, sizeof(err)) == -1)
		fatal("secret_load: %s", err);
	if ((fx = fixture()) == NULL) {
		fprintf(stderr, "fuzz_post: no fixture (set CONFAB_FIXTURE or top_srcdir); "
		    "the store stays empty\n");
		return 0;
	}
	src = conf_source_find(conf, "ecatworld");
	if (store_begin(st) == -1)
		fatal("store_begin");
	if ((im = importer_new(st, conf, src, key)) == NULL)
		fatal("importer_new");
	memset(&res, 0, sizeof(res));
	if (ingest_file(fx, importer_item, im, &res) == -1)
		fatal("ingest %s: %s", fx, res.error);
	if ((res.full && importer_vanish(im) == -1) || importer_publish(im) == -1 ||
	    store_commit(st) == -1)
		fatal("import %s failed", fx);
	importer_free(im);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct post_req	 req;
	char		*in, msg[256], msgid[256], *html;
	int		 code, mode;

	if (size < 1)
		return 0;
	mode = data[0];
	/* NUL-terminated copy, NULs inside kept, as nntp.c hands it over */
	in = xmalloc(size);
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	if (mode & 1) {
		html = post_text_to_html(in, (mode >> 1) & 1, (mode >> 2) & 1);
		if (html == NULL)
			abort();
		free(html);
	} else {
		memset(&req, 0, sizeof(req));
		req.store = st;
		req.conf = conf;
		req.key = key;
		req.user = (mode & 2) ? "fuzzer" : NULL;
		req.data = in;
		req.len = size - 1;
		msg[0] = msgid[0] = '\0';
		code = post_article(&req, msg, sizeof(msg), msgid, sizeof(msgid));
		if (code != 240 && code != 441 && code != 480)
			abort();
		if (code == 240 && (msgid[0] != '<' || strchr(msgid, '>') == NULL))
			abort();
		if (code != 240 && msg[0] == '\0')
			abort();		/* a refusal always says why */
		if (memchr(msg, '\r', strlen(msg)) || memchr(msg, '\n', strlen(msg)))
			abort();		/* the reason goes on a status line */
	}
	free(in);
	return 0;
}

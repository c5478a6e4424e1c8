/* fuzz_ingest.c: libFuzzer harness for the importers (all formats, via detection). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
touch(const char *s)
{
	/* Reading each string whole lets ASan check it is NUL-terminated and alive. */
	if (s != NULL && strlen(s) == (size_t)-1)
		abort();
}

static int
check(const struct item *it, void *arg)
{
	int	 i;

	if (it->kind != ITEM_POST && it->kind != ITEM_COMMENT)
		abort();
	if (it->author == NULL || strpbrk(it->author, "\r\n") != NULL)
		abort();
	if (it->title != NULL && strpbrk(it->title, "\r\n") != NULL)
		abort();
	if (it->kind == ITEM_COMMENT && it->comment_id <= 0)
		abort();
	touch(it->post_link);
	touch(it->author_email);
	touch(it->author_url);
	touch(it->link);
	touch(it->html);
	for (i = 0; i < it->ncategories; i++)
		touch(it->categories[i]);
	item_state_name(it->state);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_result	 res;
	char			*s;

	log_init(LOG_LVL_ERR, "fuzz_ingest");
	ingest_buffer((const char *)data, size, "fuzz", check, NULL, &res);
	if (strlen(res.error) >= sizeof(res.error))
		abort();

	/* The string helpers on the same bytes. */
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	ingest_parse_date(s);
	ingest_comment_id(s);
	ingest_leading_id(s);
	ingest_hash_id(s);
	free(ingest_strip_fragment(s));
	free(ingest_html_escape(s));
	free(s);
	return 0;
}

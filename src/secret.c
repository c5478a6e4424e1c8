/* secret.c: the server secret and keyed pseudonyms. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "log.h"
#include "secret.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
secret_load(const char *path, unsigned char key[SECRET_LEN], char *err, size_t errlen)
{
	char	 hex[SECRET_LEN * 2 + 2];
	ssize_t	 n;
	int	 fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (RAND_bytes(key, SECRET_LEN) != 1) {
			snprintf(err, errlen, "%s: no randomness", path);
			return -1;
		}
		for (i = 0; i < SECRET_LEN; i++)
			snprintf(hex + i * 2, 3, "%02x", key[i]);
		hex[SECRET_LEN * 2] = '\n';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno == EEXIST)	/* lost a race: read theirs */
			return secret_load(path, key, err, errlen);
		if (fd == -1 || write(fd, hex, SECRET_LEN * 2 + 1) != SECRET_LEN * 2 + 1 ||
		    fsync(fd) == -1) {
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
			if (fd != -1)
				close(fd);
			unlink(path);
			return -1;
		}
		close(fd);
		log_info("created secret %s", path);
		return 0;
	}
	n = read(fd, hex, sizeof(hex) - 1);
	close(fd);
	if (n < SECRET_LEN * 2) {
		snprintf(err, errlen, "%s: want %d hex digits", path, SECRET_LEN * 2);
		return -1;
	}
	for (i = 0; i < SECRET_LEN; i++) {
		int hi = hexval(hex[i * 2]), lo = hexval(hex[i * 2 + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "%s: not hex", path);
			return -1;
		}
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
secret_pseudonym(const unsigned char key[SECRET_LEN], const char *label, const char *value,
    char *out, size_t len)
{
	static const char	 b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	struct buf		 b;
	size_t			 i, bit;
	const char		*p;

	buf_init(&b);
	buf_adds(&b, label);
	buf_addc(&b, 0);
	for (p = value; *p; p++)	/* case-insensitive: mail addresses, names */
		buf_addc(&b, tolower((unsigned char)*p));
	HMAC(EVP_sha256(), key, SECRET_LEN, (unsigned char *)b.data, b.len, mac, &maclen);
	buf_free(&b);
	if (len > 50)
		len = 50;
	for (i = 0; i < len; i++) {
		bit = i * 5;
		unsigned v = ((unsigned)mac[bit / 8] << 8 | mac[bit / 8 + 1]) >> (11 - bit % 8);
		out[i] = b32[v & 31];
	}
	out[len] = '\0';
}

/*-------------------------------------------------------------------------
 *
 * sign.c
 *	  maintenance-listen --webhook: the signing secrets and the
 *	  webhook-signature header of the Standard Webhooks specification,
 *	  with OpenSSL (HMAC-SHA256, base64).
 *
 *	  A secret is "whsec_" followed by the base64 of its bytes; the
 *	  signature of one secret is "v1," followed by the base64 of
 *	  HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>").
 *	  Several secrets (key rotation) give several signatures, separated by
 *	  spaces.  Secrets never appear in a message.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "webhook.h"

#define SIGN_MAX_SECRETS	16
#define SIGN_MAX_LINE		1024	/* one whsec_ line */
#define SIGN_MAX_KEY		512		/* decoded secret bytes */
#define SIGN_PREFIX			"whsec_"

typedef struct SignSecret
{
	unsigned char key[SIGN_MAX_KEY];
	int			len;
} SignSecret;

static SignSecret sign_secrets[SIGN_MAX_SECRETS];
static int	sign_nsecrets = 0;

/* Decode standard base64 (with its padding) into key; -1 if invalid. */
static int
sign_decode(const char *text, size_t len, unsigned char *key)
{
	int			n;
	int			padding = 0;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > SIGN_MAX_KEY)
		return -1;
	n = EVP_DecodeBlock(key, (const unsigned char *) text, (int) len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	while (padding < 2 && text[len - 1 - padding] == '=')
		padding++;
	return n - padding;
}

/* Strip the line end and surrounding blanks in place; the length left. */
static size_t
sign_trim(char *line, char **start)
{
	size_t		len;

	while (*line == ' ' || *line == '\t')
		line++;
	len = strlen(line);
	while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
		line[--len] = '\0';
	*start = line;
	return len;
}

static void
sign_add_secret(const char *path, int lineno, const char *text, size_t len)
{
	SignSecret *secret = &sign_secrets[sign_nsecrets];
	size_t		plen = strlen(SIGN_PREFIX);

	if (sign_nsecrets == SIGN_MAX_SECRETS)
		fatal("secret file \"%s\" has more than %d secrets", path, SIGN_MAX_SECRETS);
	if (len <= plen || strncmp(text, SIGN_PREFIX, plen) != 0 ||
		(secret->len = sign_decode(text + plen, len - plen, secret->key)) <= 0)
		fatal("line %d of secret file \"%s\" is not a secret of the form whsec_<base64>",
			  lineno, path);
	sign_nsecrets++;
}

/* Read every secret of the file, one a line (blank lines skipped). */
void
sign_load_secrets(const char *path)
{
	char		line[SIGN_MAX_LINE + 2];
	FILE	   *f = fopen(path, "r");
	int			lineno = 0;

	if (f == NULL)
		fatal("could not open secret file \"%s\": %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *text;
		size_t		len;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			fatal("line %d of secret file \"%s\" is too long", lineno, path);
		len = sign_trim(line, &text);
		if (len > 0)
			sign_add_secret(path, lineno, text, len);
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (ferror(f))
		fatal("could not read secret file \"%s\"", path);
	fclose(f);
	if (sign_nsecrets == 0)
		fatal("secret file \"%s\" holds no secret (no webhook without one)", path);
}

void
sign_forget_secrets(void)
{
	OPENSSL_cleanse(sign_secrets, sizeof(sign_secrets));
	sign_nsecrets = 0;
}

/* HMAC-SHA256 of "<id>.<timestamp>.<body>" with one secret; its length. */
static size_t
sign_hmac(const SignSecret *secret, const char *msg_id, const char *timestamp,
		  const char *body, size_t body_len, unsigned char *mac, size_t mac_size)
{
	EVP_MAC    *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac != NULL ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM	params[2];
	size_t		len = 0;
	bool		ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = ctx != NULL &&
		EVP_MAC_init(ctx, secret->key, (size_t) secret->len, params) &&
		EVP_MAC_update(ctx, (const unsigned char *) msg_id, strlen(msg_id)) &&
		EVP_MAC_update(ctx, (const unsigned char *) ".", 1) &&
		EVP_MAC_update(ctx, (const unsigned char *) timestamp, strlen(timestamp)) &&
		EVP_MAC_update(ctx, (const unsigned char *) ".", 1) &&
		EVP_MAC_update(ctx, (const unsigned char *) body, body_len) &&
		EVP_MAC_final(ctx, mac, &len, mac_size);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	if (!ok)
		fatal("could not compute an HMAC-SHA256 signature (OpenSSL)");
	return len;
}

/*
 * The value of the webhook-signature header into out: "v1,<base64>" for
 * every secret, separated by spaces.
 */
void
sign_header(const char *msg_id, const char *timestamp,
			const char *body, size_t body_len, char *out, size_t out_size)
{
	size_t		used = 0;

	out[0] = '\0';
	for (int i = 0; i < sign_nsecrets; i++)
	{
		unsigned char mac[EVP_MAX_MD_SIZE];
		char		b64[(EVP_MAX_MD_SIZE + 2) / 3 * 4 + 1];
		size_t		len = sign_hmac(&sign_secrets[i], msg_id, timestamp,
									body, body_len, mac, sizeof(mac));
		int			n;

		EVP_EncodeBlock((unsigned char *) b64, mac, (int) len);
		n = snprintf(out + used, out_size - used, "%sv1,%s", i > 0 ? " " : "", b64);
		if (n < 0 || (size_t) n >= out_size - used)
			fatal("the webhook-signature header is too long");
		used += (size_t) n;
	}
}

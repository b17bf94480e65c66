/* OLPC canonical JSON, the bytes TUF signs: keys sorted bytewise, no
 * whitespace, integers only, and strings escaping only '"' and '\\'. The
 * document is re-serialised from the parsed value, so whatever formatting
 * a repository used, the signature covers the meaning. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_keys(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(*x, *y); /* UTF-8 bytewise = code point order */
}

static int put_string(const char *s, size_t n, struct nip_buf *out, struct nip_error *err)
{
	if (nip_buf_append(out, "\"", 1, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((s[i] == '"' || s[i] == '\\') && nip_buf_append(out, "\\", 1, err) < 0)
			return -1;
		if (nip_buf_append(out, s + i, 1, err) < 0)
			return -1;
	}
	return nip_buf_append(out, "\"", 1, err);
}

static int canon(const json_t *v, struct nip_buf *out, int depth, struct nip_error *err)
{
	/* Hostile nesting is refused by Jansson's parser (depth 2048); keep the
	 * serialiser's recursion bounded the same way. */
	if (depth > 2048)
		return nip_err(err, NIP_E_LIMIT, "JSON nested too deeply");
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = NULL, *k;
		const json_t *val;
		int rc = -1;
		if (n && !(keys = malloc(n * sizeof *keys)))
			return nip_err(err, NIP_E_NOMEM, "canonical JSON: out of memory");
		json_object_foreach((json_t *)v, k, val)
			keys[i++] = k;
		if (n)
			qsort(keys, n, sizeof *keys, cmp_keys);
		if (nip_buf_append(out, "{", 1, err) < 0)
			goto obj_out;
		for (i = 0; i < n; i++) {
			if (i && nip_buf_append(out, ",", 1, err) < 0)
				goto obj_out;
			if (put_string(keys[i], strlen(keys[i]), out, err) < 0 ||
			    nip_buf_append(out, ":", 1, err) < 0 ||
			    canon(json_object_get(v, keys[i]), out, depth + 1, err) < 0)
				goto obj_out;
		}
		rc = nip_buf_append(out, "}", 1, err);
	obj_out:
		free(keys);
		return rc;
	}
	case JSON_ARRAY:
		if (nip_buf_append(out, "[", 1, err) < 0)
			return -1;
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((i && nip_buf_append(out, ",", 1, err) < 0) ||
			    canon(json_array_get(v, i), out, depth + 1, err) < 0)
				return -1;
		return nip_buf_append(out, "]", 1, err);
	case JSON_STRING:
		return put_string(json_string_value(v), json_string_length(v), out, err);
	case JSON_INTEGER:
		return nip_buf_printf(out, err, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_TRUE:
		return nip_buf_append(out, "true", 4, err);
	case JSON_FALSE:
		return nip_buf_append(out, "false", 5, err);
	case JSON_NULL:
		return nip_buf_append(out, "null", 4, err);
	case JSON_REAL:
	default:
		/* Canonical JSON has no floating point: its text is not unique. */
		return nip_err(err, NIP_E_FORMAT, "a number that is not an integer");
	}
}

int tuf_canonical(const json_t *v, struct nip_buf *out, struct nip_error *err)
{
	size_t len = out->len;
	if (canon(v, out, 0, err) < 0) {
		out->len = len;
		return -1;
	}
	return 0;
}

json_t *tuf_json_load(const void *p, size_t n, const char *what, struct nip_error *err)
{
	json_error_t je;
	json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		nip_err(err, NIP_E_FORMAT, "%s: not valid JSON: %s (line %d, column %d)", what, je.text,
			je.line, je.column);
	return v;
}

int tuf_quote(const char *s, struct nip_buf *out, struct nip_error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* Python's quote(s, safe=""): letters, digits and "_.-~" stay. */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '.' || *p == '-' || *p == '~') {
			if (nip_buf_append(out, p, 1, err) < 0)
				return -1;
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			if (nip_buf_append(out, e, 3, err) < 0)
				return -1;
		}
	}
	return nip_buf_cstr(out, err);
}

int tuf_time_parse(const char *s, time_t *out)
{
	struct tm tm = {0};
	char *end;
	/* Exactly the spec's form; strptime alone would accept more. */
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return -1;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = timegm(&tm);
	return 0;
}

void tuf_time_format(time_t t, char out[21])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Variant-CIDs: a SHA-256 digest spelt as a multiformats CIDv1, so that
 * standard tooling can read it. nip writes and accepts exactly one form;
 * a second spelling of the same identity would let two strings name one
 * package and defeat every comparison by string. */
#include <string.h>

#include "nip/crypto.h"

/* CIDv1, multicodec raw, multihash sha2-256 of 32 bytes: each a one-byte
 * varint. */
static const uint8_t header[4] = {0x01, 0x55, 0x12, 0x20};

#define CID_BYTES (sizeof header + NIP_SHA256_LEN)
#define B32_CHARS ((CID_BYTES * 8 + 4) / 5) /* 58: no padding */

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

void nip_cid_format(const uint8_t digest[NIP_SHA256_LEN], char out[NIP_CID_STRLEN])
{
	uint8_t bin[CID_BYTES];
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	memcpy(bin, header, sizeof header);
	memcpy(bin + sizeof header, digest, NIP_SHA256_LEN);
	out[o++] = 'b';
	for (size_t i = 0; i < sizeof bin; i++) {
		acc = acc << 8 | bin[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

static int b32val(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* The string as shown in a message: cut short and made printable, since it
 * may come from a hostile track. */
static void shown(const char *s, char out[72])
{
	size_t i;

	for (i = 0; s[i] && i < 64; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int nip_cid_parse(const char *s, uint8_t digest[NIP_SHA256_LEN], struct nip_error *err)
{
	uint8_t bin[CID_BYTES];
	char q[72];
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t len = strnlen(s, 1 + B32_CHARS + 1), o = 0;

	shown(s, q);
	if (s[0] != 'b')
		return nip_err(err, NIP_E_FORMAT,
			       "Variant-CID \"%s\": must start with \"b\" (lower-case base32)", q);
	if (len != 1 + B32_CHARS)
		return nip_err(err, NIP_E_FORMAT, "Variant-CID \"%s\": %s, expected %zu characters",
			       q, len > 1 + B32_CHARS ? "too long" : "too short",
			       (size_t)1 + B32_CHARS);
	for (size_t i = 1; i <= B32_CHARS; i++) {
		int v = b32val(s[i]);
		if (v < 0)
			return nip_err(err, NIP_E_FORMAT,
				       "Variant-CID \"%s\": '%c' at offset %zu is not lower-case base32",
				       q, q[i], i);
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			bin[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* 58 characters carry 290 bits for 288: the last 2 must be zero. */
	if (acc & ((1u << bits) - 1))
		return nip_err(err, NIP_E_FORMAT, "Variant-CID \"%s\": non-zero padding bits", q);
	if (bin[0] != header[0])
		return nip_err(err, NIP_E_FORMAT, "Variant-CID \"%s\": not a CIDv1", q);
	if (bin[1] != header[1])
		return nip_err(err, NIP_E_FORMAT,
			       "Variant-CID \"%s\": content type is not raw (multicodec 0x55)", q);
	if (bin[2] != header[2] || bin[3] != header[3])
		return nip_err(err, NIP_E_FORMAT,
			       "Variant-CID \"%s\": hash is not sha2-256 of 32 bytes", q);
	memcpy(digest, bin + sizeof header, NIP_SHA256_LEN);
	return 0;
}

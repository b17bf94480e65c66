/* Fuzzes the cell-event journal's reader (nip/lib/txn/events.c): each line
 * of the input is a record or not; a record's fields hold no control byte
 * (nor a space, but for the details), and it reads back exactly as it was
 * written: one spelling per record. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nip/txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int clean_field(const char *s, int spaces)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (!spaces && *s == ' '))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[NIP_CELL_EVENT_MAX + 1], again[NIP_CELL_EVENT_MAX + 64];

	while (size) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;
		struct nip_cell_event e;

		if (n <= NIP_CELL_EVENT_MAX && !memchr(data, '\0', n)) {
			memcpy(line, data, n);
			line[n] = '\0';
			if (nip_cell_event_parse(line, &e) == 0) {
				if (e.sec < 0 || e.nsec < 0 || e.nsec > 999999999 || !clean_field(e.event, 0) ||
				    !clean_field(e.subject, 0) || (*e.details && !clean_field(e.details, 1)))
					abort();
				snprintf(again, sizeof again, "v1 %lld.%09ld %s %s %s", e.sec, e.nsec, e.event,
					 e.subject, e.details);
				if (strlen(again) != n || memcmp(again, data, n) != 0)
					abort();
			}
		}
		data += n + (nl != NULL);
		size -= n + (nl != NULL);
	}
	return 0;
}

/* Private to the package component: scanning a staged tree. */
#ifndef NIP_PACKAGE_WALK_H
#define NIP_PACKAGE_WALK_H

#include <sys/stat.h>

#include "nip/package.h"

struct walk_entry {
	char *path;
	struct stat st;
	char *link; /* symlink target */
};

struct walk {
	struct walk_entry *v;
	size_t n, cap;
};

/* All entries under rootfd, sorted by nip_path_cmp. */
int walk_tree(int rootfd, struct walk *w, struct nip_error *err);
void walk_free(struct walk *w);

#endif

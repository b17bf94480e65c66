/* Writing a .nip. The manifest goes first in the archive but needs every
 * file's hash, and the files are hashed on the same read that feeds the
 * compressor (zstd's workers compress while this thread reads and hashes).
 * Every field of the head has a fixed width once the file list is known,
 * so its size is computed first, the payload frame is compressed straight
 * into the output after that gap, and the head is written into the gap at
 * the end: one pass over the tree, no temporary copy. Same tree and epoch,
 * same bytes: entries are sorted, owners and times fixed, and zstd's
 * multithreaded output does not depend on the number of workers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <zstd.h>

#include "internal.h"
#include "nip/limits.h"
#include "walk.h"

#define READ_CHUNK (256u << 10)

struct zwrite {
	ZSTD_CCtx *c;
	int fd;
	unsigned char *out;
	size_t cap;
	struct nip_sha256 *h; /* of the compressed bytes */
	uint64_t total;
};

static int zw_init(struct zwrite *w, int fd, int level, int threads, struct nip_error *err)
{
	w->fd = fd;
	w->cap = ZSTD_CStreamOutSize();
	w->out = malloc(w->cap);
	w->c = ZSTD_createCCtx();
	w->h = nip_sha256_new(err);
	if (!w->h)
		return -1;
	if (!w->out || !w->c)
		return nip_err(err, NIP_E_NOMEM, "compressor: out of memory");
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->c, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->c, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->c, ZSTD_c_nbWorkers, threads)))
		return nip_err(err, NIP_E_INTERNAL, "compressor: zstd rejected its parameters");
	return 0;
}

static void zw_free(struct zwrite *w)
{
	nip_sha256_free(w->h);
	ZSTD_freeCCtx(w->c);
	free(w->out);
}

static int zw_push(struct zwrite *w, const void *p, size_t n, ZSTD_EndDirective mode,
		   struct nip_error *err)
{
	ZSTD_inBuffer in = {p, n, 0};
	size_t left;
	do {
		ZSTD_outBuffer out = {w->out, w->cap, 0};
		left = ZSTD_compressStream2(w->c, &out, &in, mode);
		if (ZSTD_isError(left))
			return nip_err(err, NIP_E_INTERNAL, "zstd: %s", ZSTD_getErrorName(left));
		if (nip_write_full(w->fd, w->out, out.pos, "package", err) < 0)
			return -1;
		nip_sha256_update(w->h, w->out, out.pos);
		w->total += out.pos;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int file_type(const struct walk_entry *e, const char *policy, struct nip_file *f,
		     struct nip_error *err)
{
	mode_t m = e->st.st_mode;
	f->mode = m & 07777;
	if (S_ISREG(m))
		f->type = NIP_FT_FILE;
	else if (S_ISDIR(m))
		f->type = NIP_FT_DIR;
	else if (S_ISLNK(m))
		f->type = NIP_FT_SYMLINK;
	else if (S_ISCHR(m) || S_ISBLK(m) || S_ISFIFO(m)) {
		const char *what = S_ISFIFO(m) ? "fifo" : "device";
		if (!nip_policy_allows(policy, what, e->path))
			return nip_err(err, NIP_E_DENIED,
				       "%s: %s refused (a package's policy may allow it: \"allow %s /%s\")",
				       e->path, S_ISFIFO(m) ? "FIFO" : "device node", what, e->path);
		f->type = S_ISCHR(m) ? NIP_FT_CHAR : S_ISBLK(m) ? NIP_FT_BLOCK : NIP_FT_FIFO;
		f->rdev_major = major(e->st.st_rdev);
		f->rdev_minor = minor(e->st.st_rdev);
	} else
		return nip_err(err, NIP_E_USAGE, "%s: sockets cannot be packaged", e->path);
	for (int bit = 0; bit < 2 && f->type != NIP_FT_DIR; bit++) {
		const char *what = bit ? "setgid" : "setuid";
		if ((f->mode & (bit ? 02000u : 04000u)) && !nip_policy_allows(policy, what, e->path))
			return nip_err(err, NIP_E_DENIED,
				       "%s: %s bit refused (a package's policy may allow it: \"allow %s /%s\")",
				       e->path, what, what, e->path);
	}
	if (f->type == NIP_FT_DIR)
		f->mode &= 01777; /* setgid on directories only steers group ownership */
	if (f->type == NIP_FT_SYMLINK)
		f->mode = 0777;
	return 0;
}

struct inode_ref {
	dev_t dev;
	ino_t ino;
	size_t idx;
};

static int by_inode(const void *a, const void *b)
{
	const struct inode_ref *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Files sharing an inode: the first in archive order is stored, the others
 * become hard links to it. */
static int find_hardlinks(const struct walk *w, struct nip_file *files, struct nip_error *err)
{
	struct inode_ref *refs = malloc((w->n + 1) * sizeof *refs);
	size_t n = 0;

	if (!refs)
		return nip_err(err, NIP_E_NOMEM, "packing: out of memory");
	for (size_t i = 0; i < w->n; i++)
		if (files[i].type == NIP_FT_FILE && w->v[i].st.st_nlink > 1)
			refs[n++] = (struct inode_ref){w->v[i].st.st_dev, w->v[i].st.st_ino, i};
	qsort(refs, n, sizeof *refs, by_inode);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (refs[i].dev != refs[first].dev || refs[i].ino != refs[first].ino) {
			first = i;
			continue;
		}
		files[refs[i].idx].type = NIP_FT_HARDLINK;
		files[refs[i].idx].target = strdup(files[refs[first].idx].path);
		if (!files[refs[i].idx].target) {
			free(refs);
			return nip_err(err, NIP_E_NOMEM, "packing: out of memory");
		}
	}
	free(refs);
	return 0;
}

static int pack_file(int srcfd, const struct walk_entry *e, struct nip_file *f, struct zwrite *zw,
		     struct nip_sha256 *h, unsigned char *buf, struct nip_error *err)
{
	static const unsigned char zeros[TAR_BLOCK];
	uint64_t total = 0;
	struct stat st;
	/* f->path has moved into f->path. */
	int fd = nip_open_beneath(srcfd, f->path, O_RDONLY, 0, err), rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_ino != e->st.st_ino || st.st_size != e->st.st_size) {
		nip_err(err, NIP_E_IO, "%s: changed while packing", f->path);
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	nip_sha256_reset(h);
	for (;;) {
		ssize_t r = nip_read_some(fd, buf, READ_CHUNK, f->path, err);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		total += (uint64_t)r;
		if (total > f->size) {
			nip_err(err, NIP_E_IO, "%s: grew while packing", f->path);
			goto out;
		}
		nip_sha256_update(h, buf, (size_t)r);
		if (zw_push(zw, buf, (size_t)r, ZSTD_e_continue, err) < 0)
			goto out;
	}
	if (total != f->size) {
		nip_err(err, NIP_E_IO, "%s: shrank while packing", f->path);
		goto out;
	}
	nip_sha256_final(h, f->sha256);
	rc = zw_push(zw, zeros, (size_t)tar_padding(total), ZSTD_e_continue, err);
out:
	close(fd);
	return rc;
}

/* Payload frame: every member's header and data, then end-of-archive. */
static int write_payload(int srcfd, const struct walk *w, struct nip_manifest *m, int64_t epoch,
			 struct zwrite *zw, struct nip_error *err)
{
	static const unsigned char zeros[2 * TAR_BLOCK];
	struct nip_buf hdr;
	struct nip_sha256 *h = nip_sha256_new(err);
	unsigned char *buf = malloc(READ_CHUNK);
	int rc = -1;

	nip_buf_init(&hdr, TAR_HEADER_MAX, "header");
	if (!h || !buf) {
		nip_err(err, NIP_E_NOMEM, "packing: out of memory");
		goto out;
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		struct nip_file *f = &m->files[i];
		struct tar_member tm;
		tar_member_of_file(f, epoch, &tm);
		hdr.len = 0;
		if (tar_header(&tm, &hdr, err) < 0 || zw_push(zw, hdr.data, hdr.len, ZSTD_e_continue, err) < 0)
			goto out;
		if (f->type == NIP_FT_FILE && pack_file(srcfd, &w->v[i], f, zw, h, buf, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].type == NIP_FT_HARDLINK) {
			memcpy(m->files[i].sha256, nip_files_content(m->files, i)->sha256, NIP_SHA256_LEN);
		}
	rc = zw_push(zw, zeros, sizeof zeros, ZSTD_e_end, err);
out:
	nip_buf_free(&hdr);
	nip_sha256_free(h);
	free(buf);
	return rc;
}

static int copy_meta(struct nip_manifest *m, const struct nip_manifest *meta, const struct nip_seckey *key,
		     int64_t epoch, struct nip_error *err)
{
	char id[NIP_KEYID_HEX];
	int bad = 0;

	/* The manifest borrows meta's strings; take_meta() below lets go of them. */
	m->name = meta->name;
	m->version = meta->version;
	m->arch = meta->arch;
	m->summary = meta->summary;
	m->license = meta->license;
	m->policy = meta->policy;
	m->variant = meta->variant;
	m->nvariant = meta->nvariant;
	m->kind = meta->kind;
	for (int k = 0; k < NIP_REL_COUNT; k++) {
		m->rel[k] = meta->rel[k];
		m->nrel[k] = meta->nrel[k];
	}
	m->graft = meta->graft;
	m->prov.recipe = meta->prov.recipe;
	m->prov.sources = meta->prov.sources;
	m->prov.nsources = meta->prov.nsources;
	m->prov.source_date_epoch = epoch;
	nip_keyid_format(key->keyid, id);
	bad = !(m->prov.builder_key = strdup(id));
	return bad ? nip_err(err, NIP_E_NOMEM, "packing: out of memory") : 0;
}

static void release_borrowed(struct nip_manifest *m)
{
	m->name = m->version = m->arch = m->summary = m->license = m->policy = NULL;
	m->variant = NULL;
	m->nvariant = 0;
	for (int k = 0; k < NIP_REL_COUNT; k++) {
		m->rel[k] = NULL;
		m->nrel[k] = 0;
	}
	m->graft = NULL;
	m->prov.recipe = NULL;
	m->prov.sources = NULL;
	m->prov.nsources = 0;
}

/* Head frame: .NIPINFO and .NIPSIG, as raw blocks (head.c says why). */
/* The head's size, from a manifest whose hashes are still zeros: every
 * hash, the CID and the signature have fixed widths. */
static int head_size(const struct nip_manifest *m, size_t *out, struct nip_error *err)
{
	struct nip_buf info, sigtext;
	struct nip_sig sig = {0};
	uint8_t zero[NIP_SHA256_LEN] = {0};
	int rc = -1;

	nip_buf_init(&info, NIP_MANIFEST_MAX, "manifest");
	nip_buf_init(&sigtext, NIP_SIG_MAX, "signature");
	if (nip_manifest_serialize(m, &info, err) < 0 ||
	    sig_trusted_comment(m, zero, zero, sig.trusted_comment, sizeof sig.trusted_comment, err) < 0 ||
	    nip_sig_format(&sig, NIPSIG_UNTRUSTED, &sigtext, err) < 0)
		goto out;
	*out = raw_frame_size(2 * TAR_BLOCK + info.len + (size_t)tar_padding(info.len) + sigtext.len +
			      (size_t)tar_padding(sigtext.len));
	rc = 0;
out:
	nip_buf_free(&info);
	nip_buf_free(&sigtext);
	return rc;
}

/* Head frame: .NIPINFO and .NIPSIG as raw blocks (head.c says why), into
 * the gap of `size` bytes left at the start of the file. */
static int write_head(int fd, const struct nip_manifest *m, const struct nip_seckey *key,
		      const struct zwrite *payload, size_t size, uint8_t cid[NIP_SHA256_LEN],
		      struct nip_error *err)
{
	struct nip_buf info, sigtext, frame;
	char comment[NIP_COMMENT_MAX + 1];
	uint8_t zsha[NIP_SHA256_LEN];
	struct nip_sig sig;
	int rc = -1;

	nip_buf_init(&info, NIP_MANIFEST_MAX, "manifest");
	nip_buf_init(&sigtext, NIP_SIG_MAX, "signature");
	nip_buf_init(&frame, 2 * (NIP_MANIFEST_MAX + NIP_SIG_MAX), "package head");
	nip_sha256_final(payload->h, zsha);
	if (nip_manifest_serialize(m, &info, err) < 0)
		goto out;
	nip_sha256(info.data, info.len, cid);
	if (sig_trusted_comment(m, cid, zsha, comment, sizeof comment, err) < 0 ||
	    nip_sig_sign(key, info.data, info.len, comment, &sig, err) < 0 ||
	    nip_sig_format(&sig, NIPSIG_UNTRUSTED, &sigtext, err) < 0 ||
	    head_frame(m, &info, &sigtext, &frame, err) < 0)
		goto out;
	if (frame.len != size) {
		nip_err(err, NIP_E_INTERNAL, "head of %zu bytes does not fill its gap of %zu", frame.len, size);
		goto out;
	}
	if (pwrite(fd, frame.data, frame.len, 0) != (ssize_t)frame.len) {
		nip_err_sys(err, NIP_E_IO, errno, "package: writing the head");
		goto out;
	}
	rc = 0;
out:
	nip_buf_free(&info);
	nip_buf_free(&sigtext);
	nip_buf_free(&frame);
	return rc;
}

/* An absolute link names a place under the root it is deployed at, so the
 * package stores the relative link that resolves to the same place:
 * "/etc/x" from "usr/bin/y" becomes "../../etc/x". */
static int relative_target(const char *path, const char *abs, char **out, struct nip_error *err)
{
	struct nip_buf b;
	const char *parts[NIP_PATH_MAX / 2 + 1];
	size_t n = 0, depth = 0;
	char *copy = strdup(abs), *save = NULL;

	if (!copy)
		return nip_err(err, NIP_E_NOMEM, "packing: out of memory");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n)
				n--;
			continue;
		}
		parts[n++] = c;
	}
	for (const char *c = path; (c = strchr(c, '/')); c++)
		depth++;
	nip_buf_init(&b, NIP_PATH_MAX + 1, "symlink target");
	for (size_t i = 0; i < depth; i++)
		if (nip_buf_printf(&b, err, "%s..", i ? "/" : "") < 0)
			goto fail;
	for (size_t i = 0; i < n; i++)
		if (nip_buf_printf(&b, err, "%s%s", b.len ? "/" : "", parts[i]) < 0)
			goto fail;
	if (!b.len && nip_buf_append(&b, ".", 1, err) < 0)
		goto fail;
	if (nip_buf_cstr(&b, err) < 0)
		goto fail;
	free(copy);
	*out = (char *)b.data;
	return 0;
fail:
	free(copy);
	nip_buf_free(&b);
	return nip_err_prefix(err, "%s: ", path);
}

static int build_files(const struct walk *w, struct nip_manifest *m, const char *policy,
		       struct nip_error *err)
{
	m->files = calloc(w->n + 1, sizeof *m->files);
	if (!m->files)
		return nip_err(err, NIP_E_NOMEM, "packing: out of memory");
	for (size_t i = 0; i < w->n; i++) {
		struct nip_file *f = &m->files[i];
		m->nfiles = i + 1;
		if (file_type(&w->v[i], policy, f, err) < 0)
			return -1;
		f->path = w->v[i].path;
		w->v[i].path = NULL; /* moved */
		f->size = f->type == NIP_FT_FILE ? (uint64_t)w->v[i].st.st_size : 0;
		if (f->type == NIP_FT_SYMLINK && w->v[i].link[0] == '/') {
			if (relative_target(f->path, w->v[i].link, &f->target, err) < 0)
				return -1;
		} else if (f->type == NIP_FT_SYMLINK) {
			f->target = w->v[i].link;
			w->v[i].link = NULL;
		}
	}
	return find_hardlinks(w, m->files, err);
}

/* The default SOURCE_DATE_EPOCH: an unchanged tree packs the same. */
static int64_t newest_mtime(const struct walk *w)
{
	int64_t t = 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].st.st_mtime > t)
			t = w->v[i].st.st_mtime;
	return t > 077777777777ll ? 077777777777ll : t;
}

int nip_package_write(int srcfd, const struct nip_pack_opts *opts, int outdirfd, const char *outname,
		      uint8_t cid[NIP_SHA256_LEN], struct nip_error *err)
{
	struct walk w = {0};
	struct nip_manifest *m = nip_manifest_new(err);
	struct zwrite zw = {0};
	int out = -1, rc = -1;
	int level = opts->level ? opts->level : NIP_DEFAULT_LEVEL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = opts->threads ? opts->threads : ncpu > 0 ? (int)ncpu : 1;
	size_t hsize;

	if (!m)
		return -1;
	if (!opts->key) {
		nip_err(err, NIP_E_USAGE, "a signing key is required: nip never makes an unsigned package");
		goto out;
	}
	if (copy_meta(m, opts->meta, opts->key, opts->source_date_epoch, err) < 0 ||
	    walk_tree(srcfd, &w, err) < 0 || build_files(&w, m, m->policy ? m->policy : "", err) < 0)
		goto out;
	if (m->prov.source_date_epoch < 0)
		m->prov.source_date_epoch = newest_mtime(&w);
	/* The rules first, on the hash-less manifest, before any I/O. */
	if (nip_payload_root(m, m->payload_root, err) < 0 || nip_manifest_check(m, err) < 0) {
		/* The staged tree (or a flag) is at fault, not a package. */
		err->code = NIP_E_USAGE;
		goto out;
	}
	if (head_size(m, &hsize, err) < 0 || (out = nip_tmpfile(outdirfd, 0666, err)) < 0)
		goto out;
	if (lseek(out, (off_t)hsize, SEEK_SET) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "package: seek");
		goto out;
	}
	if (zw_init(&zw, out, level, threads, err) < 0 ||
	    write_payload(srcfd, &w, m, m->prov.source_date_epoch, &zw, err) < 0 ||
	    nip_payload_root(m, m->payload_root, err) < 0 ||
	    write_head(out, m, opts->key, &zw, hsize, cid, err) < 0 ||
	    nip_tmpfile_link(out, outdirfd, outname, 0, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		nip_err_prefix(err, "packing %s: ", outname);
	zw_free(&zw);
	if (out >= 0)
		close(out);
	walk_free(&w);
	release_borrowed(m);
	nip_manifest_free(m);
	return rc;
}

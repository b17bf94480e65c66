/* The run index's format, shared by its writer and its reader. */
#ifndef NIP_TXN_RUNINDEX_H
#define NIP_TXN_RUNINDEX_H

#define MAGIC "nip-run-index-1"
#define RUN_DIR ".run"
#define INDEX_MAX (64u << 20)

#endif

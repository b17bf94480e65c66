/* The schema of nip.db, as migrations (doc/nip-db.5 describes the result).
 * A migration is appended, never edited: a root made by any earlier nip
 * walks forward through the same steps. Each script runs inside one
 * BEGIN IMMEDIATE and ends by setting user_version, so a crash leaves the
 * old version or the new one. */
#include "internal.h"

/* 0 -> 1: the first schema. application_id is written in the same
 * transaction, so a file either is entirely nip's or not at all. */
static const char v1[] =
	"PRAGMA application_id = 1313427457;" /* DB_APPLICATION_ID, 0x4E495001 */
	/* Every package ever imported, by Variant-CID; the manifest is the
	 * canonical .NIPINFO, so a row can be checked against its key. */
	"CREATE TABLE packages ("
	" cid BLOB PRIMARY KEY NOT NULL CHECK (length(cid) = 32),"
	" name TEXT NOT NULL,"
	" version TEXT NOT NULL,"
	" arch TEXT NOT NULL,"
	" signer BLOB NOT NULL CHECK (length(signer) = 8),"
	" manifest BLOB NOT NULL);"
	"CREATE INDEX packages_name ON packages (name);"
	/* Keyed by path first: `nip owner PATH` is one index probe. Rows are
	 * small, so WITHOUT ROWID keeps them in a single b-tree. */
	"CREATE TABLE files ("
	" path TEXT NOT NULL,"
	" cid BLOB NOT NULL REFERENCES packages (cid),"
	" PRIMARY KEY (path, cid)) WITHOUT ROWID;"
	/* last: the highest generation number ever used, so that numbers are
	 * never reused after a drop. */
	"CREATE TABLE cells ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" current INTEGER,"
	" last INTEGER NOT NULL DEFAULT 0 CHECK (last >= 0),"
	" policy TEXT,"
	" FOREIGN KEY (name, current) REFERENCES generations (cell, number));"
	"CREATE TABLE generations ("
	" cell TEXT NOT NULL REFERENCES cells (name),"
	" number INTEGER NOT NULL CHECK (number > 0),"
	" time INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" root BLOB NOT NULL CHECK (length(root) = 32),"
	" PRIMARY KEY (cell, number)) WITHOUT ROWID;"
	"CREATE TABLE generation_packages ("
	" cell TEXT NOT NULL,"
	" number INTEGER NOT NULL,"
	" cid BLOB NOT NULL REFERENCES packages (cid),"
	" explicit INTEGER NOT NULL CHECK (explicit IN (0, 1)),"
	" PRIMARY KEY (cell, number, cid),"
	" FOREIGN KEY (cell, number) REFERENCES generations (cell, number) ON DELETE CASCADE)"
	" WITHOUT ROWID;"
	/* gc asks whether any generation still holds a CID. */
	"CREATE INDEX generation_packages_cid ON generation_packages (cid);"
	"CREATE TABLE trust ("
	" keyid BLOB PRIMARY KEY NOT NULL CHECK (length(keyid) = 8),"
	" name TEXT NOT NULL UNIQUE,"
	" pubkey BLOB NOT NULL CHECK (length(pubkey) = 32));"
	"CREATE TABLE config (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE provchain ("
	" seq INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" event TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" details TEXT NOT NULL,"
	" prev BLOB NOT NULL CHECK (length(prev) = 32),"
	" hash BLOB NOT NULL CHECK (length(hash) = 32),"
	" sig BLOB NOT NULL CHECK (length(sig) = 64));"
	"PRAGMA user_version = 1;";

const char *const db_migrations[] = {v1};
const int db_schema_version = (int)(sizeof db_migrations / sizeof *db_migrations);

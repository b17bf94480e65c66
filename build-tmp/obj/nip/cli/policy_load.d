build-tmp/obj/nip/cli/policy_load.o: nip/cli/policy_load.c nip/cli/cli.h \
 nip/include/nip/util.h nip/include/nip/cell.h nip/include/nip/limits.h
nip/cli/cli.h:
nip/include/nip/util.h:
nip/include/nip/cell.h:
nip/include/nip/limits.h:

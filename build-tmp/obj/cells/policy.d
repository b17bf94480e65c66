build-tmp/obj/cells/policy.o: cells/policy.c nip/include/nip/cell.h \
 nip/include/nip/util.h nip/include/nip/limits.h
nip/include/nip/cell.h:
nip/include/nip/util.h:
nip/include/nip/limits.h:

build-tmp/obj/cells/api.o: cells/api.c nip/include/nip/cell.h \
 nip/include/nip/util.h nip/include/nip/limits.h
nip/include/nip/cell.h:
nip/include/nip/util.h:
nip/include/nip/limits.h:

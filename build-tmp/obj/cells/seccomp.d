build-tmp/obj/cells/seccomp.o: cells/seccomp.c cells/internal.h \
 nip/include/nip/cell.h nip/include/nip/util.h
cells/internal.h:
nip/include/nip/cell.h:
nip/include/nip/util.h:

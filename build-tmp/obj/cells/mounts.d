build-tmp/obj/cells/mounts.o: cells/mounts.c cells/internal.h \
 nip/include/nip/cell.h nip/include/nip/util.h
cells/internal.h:
nip/include/nip/cell.h:
nip/include/nip/util.h:

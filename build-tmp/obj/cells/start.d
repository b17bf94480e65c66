build-tmp/obj/cells/start.o: cells/start.c cells/internal.h \
 nip/include/nip/cell.h nip/include/nip/util.h
cells/internal.h:
nip/include/nip/cell.h:
nip/include/nip/util.h:

build-tmp/obj/cells/pid1.o: cells/pid1.c cells/internal.h \
 nip/include/nip/cell.h nip/include/nip/util.h
cells/internal.h:
nip/include/nip/cell.h:
nip/include/nip/util.h:

build-tmp/bin/nipcell-example: cells/example/confine.c \
 nip/include/nip/cell.h nip/include/nip/util.h
nip/include/nip/cell.h:
nip/include/nip/util.h:

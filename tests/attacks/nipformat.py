"""nip's package format, written independently of nip (python3 stdlib, the
zstd command with --check, minisign for signatures).

It encodes a staged tree exactly as nip's writer does: canonical ustar/pax
headers as nip/lib/package/tar.c makes them, the canonical JSON manifest,
the payload's Merkle root of nip/lib/package/merkle.c, a payload frame
compressed by the zstd command, the trusted comment that binds it (by its
SHA-256), and the head frame (.NIPINFO, .NIPSIG) as raw zstd blocks,
encoded here by hand from RFC 8878. tests/attacks/package.sh checks that
the result is the very file `nip pack` writes, byte for byte (Ed25519 is
deterministic, and the zstd command compresses as libzstd does in nip);
hostile.py changes one thing at a time; tests/e2e/package.sh recomputes a
package's payload root, trusted comment and head frame with it.
"""
import base64
import copy
import hashlib
import json
import os
import re
import stat
import struct
import subprocess
import sys
import tempfile

BLOCK = 512
NAME_LEN = 100
OCTAL11_MAX = 0o77777777777
UNTRUSTED = 'nip package signature'
TYPEFLAG = {'file': '0', 'hardlink': '1', 'symlink': '2', 'char': '3',
            'block': '4', 'dir': '5', 'fifo': '6'}
TREECHAR = {'file': 'f', 'dir': 'd', 'symlink': 'l', 'hardlink': 'f',
            'char': 'c', 'block': 'b', 'fifo': 'p'}
GiB = 1 << 30


def pad(n):
    return b'\0' * ((BLOCK - n % BLOCK) % BLOCK)


# ---- tar: the canonical encoding of nip/lib/package/tar.c -----------------

def octal(v, width):
    return b'%0*o\0' % (width - 1, v)


def ustar(name, typ, mode, size, mtime, link=b'', major=0, minor=0, uid=0, gid=0):
    b = bytearray(BLOCK)
    name = name[:NAME_LEN]
    b[0:len(name)] = name
    b[100:108] = octal(mode & 0o7777, 8)
    b[108:116] = octal(uid, 8)
    b[116:124] = octal(gid, 8)
    b[124:136] = octal(0 if size > OCTAL11_MAX else size, 12)
    b[136:148] = octal(mtime, 12)
    b[148:156] = b' ' * 8
    b[156] = ord(typ)
    link = link[:NAME_LEN]
    b[157:157 + len(link)] = link
    b[257:265] = b'ustar\x0000'
    b[329:337] = octal(major, 8)
    b[337:345] = octal(minor, 8)
    b[148:156] = b'%06o\0 ' % sum(b)
    return bytes(b)


def pax_record(key, value):
    body = len(b' %s=%s\n' % (key, value))
    n = body + 1
    while len(str(n)) + body != n:
        n = len(str(n)) + body
    return b'%d %s=%s\n' % (n, key, value)


def tar_header(path, typ, mode, size, mtime, link=None, major=0, minor=0,
               uid=0, gid=0, extra_pax=b''):
    """The header nip writes for one member (extra_pax: hostile records)."""
    name = path + (b'/' if typ == '5' else b'')
    pax = b''
    if link is not None and len(link) > NAME_LEN:
        pax += pax_record(b'linkpath', link)
    if len(name) > NAME_LEN:
        pax += pax_record(b'path', name)
    if size > OCTAL11_MAX:
        pax += pax_record(b'size', b'%d' % size)
    pax += extra_pax
    out = b''
    if pax:
        out = ustar(b'././@PaxHeader', 'x', 0o644, len(pax), mtime) + pax + pad(len(pax))
    return out + ustar(name, typ, mode, size, mtime, link or b'', major, minor, uid, gid)


# ---- the staged tree, walked as nip/lib/package/walk.c and writer.c ------

def path_key(p):
    # nip_path_cmp: bytewise, but '/' sorts before every other byte.
    return p.encode().replace(b'/', b'\0')


def walk(top):
    entries = []
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            entries.append((os.path.relpath(full, top), os.lstat(full), full))
    entries.sort(key=lambda e: path_key(e[0]))
    files, first = [], {}
    for rel, st, full in entries:
        f = {'path': rel, 'mode': stat.S_IMODE(st.st_mode)}
        if stat.S_ISDIR(st.st_mode):
            f['type'] = 'dir'
            f['mode'] &= 0o1777
        elif stat.S_ISLNK(st.st_mode):
            f['type'] = 'symlink'
            f['mode'] = 0o777
            f['target'] = os.readlink(full)
        elif stat.S_ISREG(st.st_mode):
            ino = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and ino in first:
                f['type'] = 'hardlink'
                f['target'] = first[ino]
            else:
                first.setdefault(ino, rel)
                f['type'] = 'file'
                with open(full, 'rb') as fh:
                    f['data'] = fh.read()
        else:
            sys.exit('hostile.py: %s: only files, dirs and symlinks in the tree' % rel)
        files.append(f)
    return files


# ---- manifest and Merkle root (nip/lib/package/manifest.c, merkle.c) -------

def canonical(obj):
    """Jansson's JSON_COMPACT | JSON_SORT_KEYS: as Python's, except that
    Jansson writes \\u escapes in upper-case hex."""
    s = json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return re.sub(r'\\u([0-9a-f]{4})', lambda m: '\\u' + m.group(1).upper(), s).encode()


def file_hash(files, f):
    if f['type'] == 'file':
        return bytes.fromhex(f['sha256'])
    if f['type'] == 'hardlink':
        for t in files:
            if t['path'] == f['target'] and t['type'] == 'file':
                return bytes.fromhex(t['sha256'])
        return b'\0' * 32  # nip refuses it before the root matters
    if f['type'] == 'symlink':
        return hashlib.sha256(f['target'].encode()).digest()
    if f['type'] == 'fifo':
        return hashlib.sha256(b'').digest()
    return hashlib.sha256(b'%d:%d' % tuple(f['rdev'])).digest()


def payload_root(files):
    """Each directory is a node of "T MODE NAME\\0" + 32-byte hash entries in
    archive order; its hash goes into its parent; the root's node hash is the
    payload root."""
    def child(t, mode, name, h):
        return b'%s %o %s\0' % (t.encode(), mode, name.encode()) + h

    stack = [[None, 0, b'']]  # path, mode, node

    def pop():
        path, mode, node = stack.pop()
        stack[-1][2] += child('d', mode, path.rsplit('/', 1)[-1],
                              hashlib.sha256(node).digest())

    for f in files:
        p = f['path']
        while len(stack) > 1 and not p.startswith(stack[-1][0] + '/'):
            pop()
        if f['type'] == 'dir':
            stack.append([p, f['mode'], b''])
            continue
        stack[-1][2] += child(TREECHAR[f['type']], f['mode'], p.rsplit('/', 1)[-1],
                              file_hash(files, f))
    while len(stack) > 1:
        pop()
    return hashlib.sha256(stack[0][2]).hexdigest()


def manifest_entry(f):
    e = {'path': f['path'], 'type': f['type'], 'mode': f['mode']}
    if f['type'] == 'file':
        e['size'] = f['size']
        e['sha256'] = f['sha256']
    elif f['type'] in ('symlink', 'hardlink'):
        e['target'] = f['target']
    elif f['type'] in ('char', 'block'):
        e['rdev'] = list(f['rdev'])
    return e


def cid_of(info):
    raw = bytes([1, 0x55, 0x12, 0x20]) + hashlib.sha256(info).digest()
    return 'b' + base64.b32encode(raw).decode().lower().rstrip('=')


# ---- zstd frames ----------------------------------------------------------

ZSTD_MAGIC = b'\x28\xb5\x2f\xfd'
# The head frame's header: Frame_Header_Descriptor 0 (no content size, no
# checksum, no dictionary, not single-segment) and Window_Descriptor 0x38
# (exponent 7, mantissa 0: 2^(10+7) = 128 KiB, the largest block).
RAW_HEADER = ZSTD_MAGIC + b'\x00\x38'
RAW_BLOCK = 128 << 10


def block_header(size, last, typ=0):
    """3 bytes, little-endian: Block_Size << 3 | Block_Type << 1 | Last_Block."""
    return struct.pack('<I', size << 3 | typ << 1 | int(last))[:3]


def raw_blocks(content, block=RAW_BLOCK):
    """content as raw blocks (type 0) of `block` bytes, the last one shorter
    (or empty, for empty content) and flagged last."""
    out, off = b'', 0
    while True:
        n = min(block, len(content) - off)
        last = off + n == len(content)
        out += block_header(n, last) + content[off:off + n]
        off += n
        if last:
            return out


def raw_frame(content, block=RAW_BLOCK):
    """The head frame: the one encoding of its content that a reader can
    rebuild (no signature can cover the frame that carries it)."""
    return RAW_HEADER + raw_blocks(content, block)


def zstd(data, *flags):
    return subprocess.run(['zstd', '-q', '-c', '-3', '--check'] + list(flags),
                          input=data, stdout=subprocess.PIPE, check=True).stdout


def zstd_stream(prefix, zeros, *flags):
    """prefix followed by `zeros` zero bytes, compressed as one frame,
    without holding the zeros in memory."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(['zstd', '-q', '-c', '-1', '--check'] + list(flags),
                             stdin=subprocess.PIPE, stdout=out)
        p.stdin.write(prefix)
        chunk = b'\0' * (1 << 20)
        while zeros:
            n = min(zeros, len(chunk))
            p.stdin.write(chunk[:n])
            zeros -= n
        p.stdin.close()
        if p.wait() != 0:
            sys.exit('hostile.py: zstd failed')
        out.seek(0)
        return out.read()


def trusted_comment(name, version, arch, info, zst):
    """What .NIPSIG's trusted comment says: the package, its Variant-CID,
    and the SHA-256 of the payload frame's compressed bytes (from its magic
    number to the end of the file)."""
    return 'nip package %s %s %s %s zst-sha256=%s' % (
        name, version, arch, cid_of(info), hashlib.sha256(zst).hexdigest())


def frames(buf):
    """(start, end) of each zstd frame of buf, by walking block headers."""
    off, out = 0, []
    while off < len(buf):
        magic = struct.unpack_from('<I', buf, off)[0]
        if 0x184D2A50 <= magic <= 0x184D2A5F:
            end = off + 8 + struct.unpack_from('<I', buf, off + 4)[0]
        elif magic == 0xFD2FB528:
            fhd = buf[off + 4]
            single = (fhd >> 5) & 1
            p = off + 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] \
                + ((1 if single else 0), 2, 4, 8)[fhd >> 6]
            while True:
                bh = buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16
                p += 3 + (1 if (bh >> 1) & 3 == 1 else bh >> 3)
                if bh & 1:
                    break
            end = p + (4 if (fhd >> 2) & 1 else 0)
        else:
            sys.exit('hostile.py: not a zstd frame at %d' % off)
        out.append((off, end))
        off = end
    return out


# ---- the package ------------------------------------------------------------

class Pkg:
    """One package to write; cases change any part before build()."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.files = copy.deepcopy(ctx.files)
        self.meta = {'name': ctx.name, 'version': ctx.version, 'arch': ctx.arch,
                     'kind': 'app', 'summary': '', 'license': '', 'policy': None,
                     'variant': []}
        self.relations = {k: [] for k in
                          ('conflicts', 'depends', 'obsoletes', 'provides', 'recommends')}
        self.epoch = ctx.epoch
        self.builder_key = ctx.keyid
        self.fix_root = True       # recompute payload_root from the files
        self.manifest_hook = None  # dict -> dict
        self.info_hook = None      # bytes -> bytes (after serialising)
        self.sign_info = None      # sign these bytes instead of the manifest
        self.trusted_hook = None   # trusted comment -> trusted comment
        self.untrusted = UNTRUSTED
        self.sign_flags = []       # e.g. ['-l'] (legacy)
        self.sig_hook = None       # .NIPSIG bytes -> bytes
        self.head_hook = None      # head tar bytes -> bytes
        self.members_hook = None   # list of member dicts -> list
        self.end_blocks = b'\0' * 1024
        self.head_frame = None     # callable(head tar) -> frame bytes (else raw)
        self.payload_flags = []    # extra zstd flags for the payload frame
        self.payload_frame = None  # callable(payload tar) -> frame bytes
        self.frames_hook = None    # [head, payload] -> list of frames, after
                                   # signing: the signature does not cover it

    def fill(self):
        """Each file's size and hash from its data, unless a case set them."""
        for f in self.files:
            if f['type'] == 'file' and 'data' in f:
                f.setdefault('size', len(f['data']))
                f.setdefault('sha256', hashlib.sha256(f['data']).hexdigest())

    def manifest(self):
        self.fill()
        m = dict(self.meta)
        m['format'] = 1
        m['files'] = [manifest_entry(f) for f in self.files]
        m['relations'] = self.relations
        m['provenance'] = {'builder_key': self.builder_key, 'recipe': None,
                           'source_date_epoch': self.epoch, 'sources': []}
        m['payload_root'] = payload_root(self.files) if self.fix_root else '0' * 64
        if self.manifest_hook:
            m = self.manifest_hook(m)
        info = canonical(m)
        return self.info_hook(info) if self.info_hook else info

    def sign(self, info, zst):
        """minisign's .NIPSIG over info, binding the payload frame zst."""
        tc = trusted_comment(self.meta['name'], self.meta['version'], self.meta['arch'],
                             info, zst)
        if self.trusted_hook:
            tc = self.trusted_hook(tc)
        with tempfile.TemporaryDirectory() as d:
            msg, sig = os.path.join(d, 'info'), os.path.join(d, 'sig')
            with open(msg, 'wb') as fh:
                fh.write(self.sign_info if self.sign_info is not None else info)
            subprocess.run(['minisign', '-S', '-q', '-s', self.ctx.key, '-m', msg, '-x', sig,
                            '-c', self.untrusted, '-t', tc] + self.sign_flags,
                           check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            with open(sig, 'rb') as fh:
                return fh.read()

    def members(self):
        self.fill()
        out = []
        for f in self.files:
            m = {'name': f['path'].encode(), 'type': TYPEFLAG[f['type']],
                 'mode': 0o777 if f['type'] == 'symlink' else f['mode'],
                 'size': f['size'] if f['type'] == 'file' else 0, 'mtime': self.epoch,
                 'link': f['target'].encode() if 'target' in f else None,
                 'rdev': f.get('rdev', (0, 0)), 'uid': 0, 'gid': 0, 'extra_pax': b'',
                 'data': f.get('data', b'')}
            out.append(m)
        return out

    @staticmethod
    def member_bytes(m):
        if 'raw' in m:
            return m['raw']
        h = tar_header(m['name'], m['type'], m['mode'], m['size'], m['mtime'], m['link'],
                       m['rdev'][0], m['rdev'][1], m['uid'], m['gid'], m['extra_pax'])
        return h + m['data'] + pad(len(m['data']))

    def payload(self):
        """The payload tar: every member, then the end-of-archive blocks."""
        members = self.members()
        if self.members_hook:
            members = self.members_hook(members)
        return b''.join(self.member_bytes(x) for x in members) + self.end_blocks

    def payload_zst(self):
        """The payload frame, as the signature binds it."""
        payload = self.payload()
        if self.payload_frame:
            return self.payload_frame(payload)
        return zstd(payload, *self.payload_flags)

    def head(self, info, sig):
        """The head tar: .NIPINFO and .NIPSIG."""
        head = b''
        for name, body in ((b'.NIPINFO', info), (b'.NIPSIG', sig)):
            head += tar_header(name, '0', 0o644, len(body), self.epoch) + body + pad(len(body))
        return self.head_hook(head) if self.head_hook else head

    def build(self):
        info = self.manifest()
        zst = self.payload_zst()
        sig = self.sign(info, zst)
        if self.sig_hook:
            sig = self.sig_hook(sig)
        head = self.head(info, sig)
        fr = [self.head_frame(head) if self.head_frame else raw_frame(head), zst]
        if self.frames_hook:
            fr = self.frames_hook(fr)
        return b''.join(fr)

#!/usr/bin/env python3
# Copies a libvirt QEMU save image (virsh save) with the domain XML in its
# header replaced, so that one saved guest can be restored many times under
# other names, uuids, disks and networks. libvirt itself refuses that: both
# `virsh restore --xml` and `virsh save-image-define` insist that name and
# uuid match the saved domain. The header (libvirt's qemu_saveimage.h):
# magic[16] "LibvirtQemudSave", then uint32 version, data_len, was_running,
# compressed, cookieOffset, unused[14]; then data_len bytes: the XML with its
# NUL, the cookie XML with its NUL, zero padding; then QEMU's migration
# stream. The new XML must fit in data_len with the cookie.
#
#   save_image_xml.py SRC DST NEW.xml
import shutil, struct, sys

src, dst, new_xml = sys.argv[1:4]
xml = open(new_xml, 'rb').read().rstrip(b'\0') + b'\0'
with open(src, 'rb') as f:
    head = f.read(92)
    if head[:16] != b'LibvirtQemudSave':
        sys.exit(f'{src}: not a libvirt QEMU save image')
    version, data_len, was_running, compressed, cookie_off = struct.unpack('<5I', head[16:36])
    data = f.read(data_len)
    cookie = data[cookie_off:].split(b'\0', 1)[0] + b'\0' if cookie_off else b''
    if len(xml) + len(cookie) > data_len:
        sys.exit(f'{new_xml}: {len(xml)} bytes do not fit in {data_len}')
    body = (xml + cookie).ljust(data_len, b'\0')
    head = head[:16] + struct.pack('<5I', version, data_len, was_running, compressed,
                                   len(xml) if cookie_off else 0) + head[36:]
    with open(dst, 'wb') as out:
        out.write(head)
        out.write(body)
        shutil.copyfileobj(f, out, 1 << 22)

#!/usr/bin/env python3
"""Extracts the pictures of Debian gcompris-qt-data (kept in Qt .rcc resource files) with their licence from
its debian/copyright: writes $OUT (default /tmp/pkgs/gcimg) and $OUT/../gc_sources.json. Developer tool.

  cd /tmp/pkgs && dpkg-deb -x gcompris-qt-data_*.deb gc && python3 gcompris_rcc.py
"""
import struct, zlib
def parse(path):
    b=open(path,'rb').read()
    assert b[:4]==b'qres'
    ver,tree,data,names=struct.unpack('>4I',b[4:20])
    node_size=14 if ver==1 else 22
    def name(off):
        ln=struct.unpack('>H',b[names+off:names+off+2])[0]
        return b[names+off+6:names+off+6+2*ln].decode('utf-16-be')
    out={}
    def walk(idx,prefix):
        o=tree+idx*node_size
        noff,flags=struct.unpack('>IH',b[o:o+6])
        nm=name(noff) if idx else ''
        if flags&2:
            cnt,first=struct.unpack('>II',b[o+6:o+14])
            for c in range(cnt): walk(first+c, prefix+nm+'/')
        else:
            doff=struct.unpack('>I',b[o+10:o+14])[0]
            ln=struct.unpack('>I',b[data+doff:data+doff+4])[0]
            raw=b[data+doff+4:data+doff+4+ln]
            if flags&1: raw=zlib.decompress(raw[4:])
            elif flags&4: raw=None
            out[prefix+nm]=raw
    walk(0,'')
    return out
import re, os, io, json, fnmatch, glob
from PIL import Image

cp=open('gc/usr/share/doc/gcompris-qt-data/copyright').read()
entries=[]
for block in cp.split('\n\n'):
    m=re.search(r'^Files:(.*?)(?=^\S)',block+'\nX',re.S|re.M)
    lic=re.search(r'^License:\s*(.*)$',block,re.M); who=re.search(r'^Copyright:\s*(.*)$',block,re.M); com=re.search(r'^Comment:\s*(.*)$',block,re.M)
    if not m or not lic: continue
    pats=m.group(1).split()
    entries.append((pats,lic.group(1).strip(),who.group(1).strip() if who else '',com.group(1).strip() if com else ''))
def lookup(path):
    rel=path.split('/gcompris/',1)[1]; stem=os.path.splitext(rel)[0]
    best=None
    for pats,lic,who,com in entries:
        for p in pats:
            if os.path.splitext(p)[0]==stem or fnmatch.fnmatch(rel,p) or fnmatch.fnmatch(stem+'.jpg',p) or fnmatch.fnmatch(stem+'.png',p) or fnmatch.fnmatch(stem+'.svg',p):
                if best is None or len(p)>len(best[0]): best=(p,lic,who,com)
    return best
out='/tmp/pkgs/gcimg'; os.makedirs(out,exist_ok=True); rows=[]
for rccf in sorted(glob.glob('gc/usr/share/gcompris-qt/rcc/*.rcc')):
    try: files=parse(rccf)
    except Exception as e: continue
    for k,v in files.items():
        if not v or not k.endswith(('.webp','.jpg','.png')): continue
        try: im=Image.open(io.BytesIO(v)); im.load()
        except Exception: continue
        if min(im.size)<200: continue
        lk=lookup(k)
        if not lk: continue
        name='gcompris_'+'_'.join(k.split('/')[-2:]).rsplit('.',1)[0]
        ext=k.rsplit('.',1)[1]
        open(f'{out}/{name}.{ext}','wb').write(v)
        rows.append(dict(file=name, source='Debian gcompris-qt-data 3.1 '+k.split('/gcompris/',1)[1]+' (rcc '+os.path.basename(rccf)+')', licence=lk[1], author=lk[2], origin=lk[3], size=im.size, mode=im.mode))
json.dump(rows,open('/tmp/pkgs/gc_sources.json','w'),indent=1)
print(len(rows))
from collections import Counter
print(Counter(r['licence'] for r in rows).most_common())

#!/usr/bin/env python3
"""Builds the out-of-domain evaluation set in tests/fixtures/domain/ (developer tool, not run by CI).

Ordinary photos come from packages that ship them under open licences (scikit-image, scikit-learn,
Debian's opencv-doc, gimp-data, gnome-/mate-/plasma-workspace-wallpapers and gcompris-qt-data); each
is downscaled to at most 320 px and re-encoded as JPEG, and photos.csv records its source, licence,
category and split ("tune": may be used to fit the check; "heldout": never used for fitting).

  PKGS=/tmp/pkgs/x GCOMPRIS=/tmp/pkgs/gcimg GCOMPRIS_SOURCES=/tmp/pkgs/gc_sources.json \
    python3 models/domain/build_eval_set.py
(see models/domain/README.md for how those folders are made from the Debian packages)
"""
import csv, glob, hashlib, json, os, random, struct, sys
import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'domain', 'photos')
PKGS = os.environ.get('PKGS', '/tmp/pkgs/x')
GC = os.environ.get('GCOMPRIS', '/tmp/pkgs/gcimg')
GC_SOURCES = os.environ.get('GCOMPRIS_SOURCES', '/tmp/pkgs/gc_sources.json')
MAX_SIDE = 320
HELDOUT_FRACTION = 0.4


def gimp_pattern(path):
    b = open(path, 'rb').read()
    header, _version, w, h, depth = struct.unpack('>5I', b[:20])
    px = np.frombuffer(b[header:header + w * h * depth], np.uint8).reshape(h, w, depth)
    return Image.fromarray(px[:, :, 0] if depth == 1 else px, {1: 'L', 2: 'LA', 3: 'RGB', 4: 'RGBA'}[depth])


def candidates():
    import skimage, sklearn
    sk = os.path.join(os.path.dirname(skimage.__file__), 'data')
    for f, c in [('astronaut.png', 'person'), ('chelsea.png', 'animal'), ('coffee.png', 'drink'), ('rocket.jpg', 'vehicle'),
                 ('hubble_deep_field.jpg', 'space'), ('motorcycle_left.png', 'vehicle'), ('retina.jpg', 'fundus'),
                 ('ihc.png', 'histology'), ('color.png', 'graphic'), ('logo.png', 'logo'), ('camera.png', 'person'),
                 ('moon.png', 'space'), ('page.png', 'document'), ('text.png', 'document'), ('coins.png', 'object'),
                 ('brick.png', 'texture'), ('grass.png', 'texture'), ('gravel.png', 'texture'), ('cell.png', 'microscopy'),
                 ('microaneurysms.png', 'fundus'), ('clock_motion.png', 'object'), ('chessboard_RGB.png', 'graphic')]:
        yield ('skimage_' + f.split('.')[0], Image.open(os.path.join(sk, f)), 'scikit-image 0.26 skimage/data/' + f,
               'scikit-image data: CC0 / public domain / BSD (skimage/data/README.txt)', c, 'skimage')
    skl = os.path.join(os.path.dirname(sklearn.__file__), 'datasets', 'images')
    for f, c in [('china.jpg', 'building'), ('flower.jpg', 'plant')]:
        yield ('sklearn_' + f.split('.')[0], Image.open(os.path.join(skl, f)), 'scikit-learn 1.9 sklearn/datasets/images/' + f,
               'CC BY 2.0 (sklearn/datasets/images/README.txt)', c, 'sklearn')
    cv = PKGS + '/usr/share/doc/opencv-doc/examples/data'
    for f, c in [('HappyFish.jpg', 'animal'), ('apple.jpg', 'food'), ('baboon.jpg', 'animal'), ('basketball1.png', 'object'),
                 ('board.jpg', 'object'), ('building.jpg', 'building'), ('butterfly.jpg', 'animal'), ('fruits.jpg', 'food'),
                 ('home.jpg', 'building'), ('leuvenA.jpg', 'building'), ('licenseplate_motion.jpg', 'vehicle'),
                 ('messi5.jpg', 'person'), ('orange.jpg', 'food'), ('smarties.png', 'food'), ('squirrel_cls.jpg', 'animal'),
                 ('starry_night.jpg', 'painting'), ('stuff.jpg', 'object'), ('aero1.jpg', 'building'), ('blox.jpg', 'graphic'),
                 ('box_in_scene.png', 'object'), ('cards.png', 'object'), ('graf1.png', 'painting'), ('left01.jpg', 'object'),
                 ('rubberwhale1.png', 'object'), ('sudoku.png', 'document'), ('notes.png', 'document'), ('LinuxLogo.jpg', 'logo'),
                 ('WindowsLogo.jpg', 'logo'), ('opencv-logo.png', 'logo'), ('pic1.png', 'graphic'), ('Blender_Suzanne1.jpg', 'render'),
                 ('aloeL.jpg', 'plant'), ('ela_original.jpg', 'object'), ('chicky_512.png', 'animal'), ('pca_test1.jpg', 'object'),
                 ('ellipses.jpg', 'graphic'), ('text_defocus.jpg', 'document'), ('imageTextN.png', 'document'),
                 ('detect_blob.png', 'graphic'), ('digits.png', 'document')]:
        yield ('opencv_' + f.split('.')[0], Image.open(os.path.join(cv, f)), 'Debian opencv-doc 4.6.0 examples/data/' + f,
               'OpenCV sample data (Apache-2.0, debian/copyright of opencv)', c, 'opencv')
    for p in sorted(glob.glob(PKGS + '/usr/share/backgrounds/mate/*/*')):
        if p.lower().endswith(('.jpg', '.png')) and '_3840' not in p and '_5640' not in p:
            yield ('mate_' + os.path.basename(p).split('.')[0], Image.open(p), 'Debian mate-backgrounds 1.26.0 ' + p[len(PKGS):],
                   'GPL-2+ / CC BY-SA (debian/copyright of mate-backgrounds)', 'wallpaper', 'mate')
    for p in sorted(glob.glob(PKGS + '/usr/share/backgrounds/gnome/*.webp')):
        yield ('gnome_' + os.path.basename(p).split('.')[0], Image.open(p), 'Debian gnome-backgrounds 43.1 ' + p[len(PKGS):],
               'CC BY-SA 3.0 (debian/copyright of gnome-backgrounds)', 'wallpaper', 'gnome')
    for d in sorted(glob.glob(PKGS + '/usr/share/wallpapers/*/contents/images')):
        fs = sorted(os.listdir(d))
        pick = [f for f in fs if f.startswith('1920x1080')] or fs
        p = os.path.join(d, pick[0])
        yield ('plasma_' + d.split('/')[-3], Image.open(p), 'Debian plasma-workspace-wallpapers 5.27.5 ' + p[len(PKGS):],
               'LGPL-3 / CC BY-SA 4.0 (debian/copyright of plasma-workspace-wallpapers)', 'wallpaper', 'plasma')
    for p in sorted(glob.glob(PKGS + '/usr/share/gimp/2.0/patterns/*/*.pat')):
        if p.split('/')[-2] == 'Legacy':
            continue
        yield ('gimp_' + os.path.basename(p).split('.')[0], gimp_pattern(p), 'Debian gimp-data 2.10 ' + p[len(PKGS):],
               'GPL-3+ (debian/copyright of gimp)', 'texture', 'gimp')
    for f in ['gimp-splash.png', 'wilber.png']:
        yield ('gimp_' + f.split('.')[0], Image.open(PKGS + '/usr/share/gimp/2.0/images/' + f), 'Debian gimp-data 2.10 ' + f,
               'GPL-3+ / CC BY-SA 3.0 (debian/copyright of gimp)', 'logo', 'gimp')
    rows = json.load(open(GC_SOURCES))
    random.Random(7).shuffle(rows)
    by_dir = {}
    for r in rows:
        d = r['source'].split()[3].split('/')[2]
        by_dir.setdefault(d, []).append(r)
    cat = {'explore_world_animals': 'animal', 'explore_farm_animals': 'animal', 'explore_monuments': 'building',
           'paintings': 'painting', 'solar_system': 'space', 'lang': 'object', 'categorization': 'object',
           'erase': 'landscape', 'details': 'painting'}
    for d, rs in sorted(by_dir.items()):
        for r in rs[:40]:
            path = glob.glob(os.path.join(GC, r['file'] + '.*'))[0]
            lic = r['licence'] + (f" ({r['author']})" if r['author'] else '') + (f" {r['origin']}" if r['origin'] else '')
            yield (r['file'], Image.open(path), r['source'], lic, cat.get(d, 'object'), 'gcompris')
    histo = os.environ.get('STARDIST_HISTO', '/tmp/whl/stardist/data/images/histo.jpg')
    yield ('stardist_histo', Image.open(histo), 'stardist 0.9.2 (PyPI) stardist/data/images/histo.jpg',
           'BSD-3-Clause (stardist)', 'histology', 'stardist')
    for f in ['gcompris-main-menu.png', 'activity-config.png', 'dataset.png']:
        yield ('gcompris_screenshot_' + f.split('.')[0], Image.open('/tmp/ood/' + f),
               'Debian gcompris-qt-data 3.1 /usr/share/doc/HTML/en/gcompris-qt/' + f, 'GFDL / GPL-3+ (gcompris-qt-data)', 'screenshot', 'gcompris')


def flatten(im):
    if im.mode in ('RGBA', 'LA', 'P'):
        im = im.convert('RGBA')
        bg = Image.new('RGBA', im.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, im).convert('RGB')
    if im.mode.startswith('I'):
        im = Image.fromarray((np.array(im) / 257).astype(np.uint8))
    return im.convert('RGB') if im.mode not in ('RGB', 'L') else im


def main():
    os.makedirs(OUT, exist_ok=True)
    seen, rows = set(), []
    for name, im, source, licence, category, group in candidates():
        im = flatten(im)
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
        digest = hashlib.sha1(im.tobytes()).hexdigest()
        if digest in seen:   # identical pictures under two names
            continue
        seen.add(digest)
        file = name.replace(' ', '_') + '.jpg'
        im.save(os.path.join(OUT, file), quality=85)
        rows.append(dict(file=file, category=category, group=group, source=source, licence=licence))
    rng = random.Random(20261202)
    for g in sorted(set(r['group'] for r in rows)):
        members = [r for r in rows if r['group'] == g]
        rng.shuffle(members)
        k = max(1, round(len(members) * HELDOUT_FRACTION))
        for i, r in enumerate(members):
            r['split'] = 'heldout' if i < k else 'tune'
    rows.sort(key=lambda r: r['file'])
    with open(os.path.join(OUT, '..', 'photos.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['file', 'split', 'category', 'group', 'source', 'licence'])
        w.writeheader()
        w.writerows(rows)
    print(len(rows), 'photos,', sum(r['split'] == 'heldout' for r in rows), 'held out')


if __name__ == '__main__':
    main()

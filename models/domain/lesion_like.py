"""Synthetic lesion-like images (skin field, a pigmented or vascular lesion, hairs, gel bubbles, an optional
dermatoscope vignette) for the out-of-domain check: seeds 0-999 may be used to fit it, seeds 1000+ are the
held-out lesion-like images in tests/fixtures/domain/lesion_like/.

  python3 models/domain/lesion_like.py OUT_DIR FIRST_SEED END_SEED
"""
import numpy as np, sys, os
from PIL import Image, ImageDraw, ImageFilter
SKIN=[(236,196,180),(225,170,150),(210,160,130),(190,140,110),(160,110,80),(120,80,60),(240,215,205),(215,175,175),(200,150,150)]
LES=[(90,55,40),(60,35,25),(35,20,18),(130,80,60),(150,60,70),(170,70,90),(110,70,90),(80,70,95),(180,110,95),(200,120,120)]
def smooth_noise(rng,h,w,scale,ch=1):
    n=rng.normal(size=(max(2,h//scale),max(2,w//scale),ch)).astype(np.float32)
    im=[np.array(Image.fromarray(n[...,c]).resize((w,h),Image.BICUBIC)) for c in range(ch)]
    return np.stack(im,-1)
def make(seed):
    rng=np.random.default_rng(seed)
    W,H=[(600,450),(640,480),(768,576),(512,512),(1024,768),(800,600)][rng.integers(6)]
    base=np.array(SKIN[rng.integers(len(SKIN))],np.float32)+rng.normal(0,8,3)
    img=np.ones((H,W,3),np.float32)*base
    img+=smooth_noise(rng,H,W,rng.integers(40,150),3)*rng.uniform(3,10)
    img+=smooth_noise(rng,H,W,rng.integers(3,8),1)*rng.uniform(1,5)  # skin texture
    # lesion mask with irregular border
    cy,cx=H/2+rng.normal(0,H*0.07),W/2+rng.normal(0,W*0.07); r0=min(H,W)*rng.uniform(0.1,0.38)
    yy,xx=np.mgrid[:H,:W]; th=np.arctan2(yy-cy,xx-cx); rr=np.hypot(yy-cy,(xx-cx)*rng.uniform(0.7,1.3))
    rad=np.ones_like(th)
    for k in range(2,8): rad+=rng.uniform(0,0.25/k*2)*np.cos(k*th+rng.uniform(0,6.3))
    edge=rng.uniform(0.03,0.25)*r0
    m=np.clip((r0*rad-rr)/edge+0.5,0,1)
    m*=np.clip(1+smooth_noise(rng,H,W,int(max(4,r0/4)),1)[...,0]*0.4,0,1)
    col=np.array(LES[rng.integers(len(LES))],np.float32); col2=np.array(LES[rng.integers(len(LES))],np.float32)
    mix=np.clip(0.5+smooth_noise(rng,H,W,int(max(4,r0/3)),1)*0.8,0,1)
    lcol=col*mix+col2*(1-mix)
    if rng.random()<0.5: # pigment network
        f=rng.uniform(0.08,0.25); net=(np.sin(xx*f+smooth_noise(rng,H,W,20,1)[...,0]*3)*np.sin(yy*f+smooth_noise(rng,H,W,20,1)[...,0]*3))
        lcol=lcol*(1-0.25*(net[...,None]>0.3))
    if rng.random()<0.5: # dots/globules
        d=Image.new('L',(W,H),0); dr=ImageDraw.Draw(d)
        for _ in range(rng.integers(5,60)):
            a=rng.uniform(0,6.3); rad_=rng.uniform(0,r0); x=cx+np.cos(a)*rad_; y=cy+np.sin(a)*rad_; s=rng.uniform(1,r0*0.06+2)
            dr.ellipse([x-s,y-s,x+s,y+s],fill=255)
        dots=np.array(d.filter(ImageFilter.GaussianBlur(1)),np.float32)[...,None]/255
        lcol=lcol*(1-0.4*dots)
    a=m[...,None]*rng.uniform(0.6,1.0)
    img=img*(1-a)+lcol*a
    # hairs
    hi=Image.fromarray(np.clip(img,0,255).astype(np.uint8)); dr=ImageDraw.Draw(hi)
    for _ in range(rng.integers(0,18) if rng.random()<0.7 else 0):
        pts=[]; x,y=rng.uniform(0,W),rng.uniform(0,H); ang=rng.uniform(0,6.3)
        for _ in range(30):
            pts.append((x,y)); ang+=rng.normal(0,0.08); x+=np.cos(ang)*W/40; y+=np.sin(ang)*W/40
        c=int(rng.uniform(15,80)); dr.line(pts,fill=(c,int(c*0.8),int(c*0.7)),width=int(rng.integers(1,4)))
    img=np.array(hi,np.float32)
    # bubbles / specular
    if rng.random()<0.3:
        b=Image.new('L',(W,H),0); dr=ImageDraw.Draw(b)
        for _ in range(rng.integers(1,10)):
            x,y,s=rng.uniform(0,W),rng.uniform(0,H),rng.uniform(3,25); dr.ellipse([x-s,y-s,x+s,y+s],outline=255,width=2)
        bb=np.array(b.filter(ImageFilter.GaussianBlur(1)),np.float32)[...,None]/255; img=img*(1-bb*0.6)+255*bb*0.6
    # illumination / vignette
    rn=np.hypot((yy-H/2)/(H/2),(xx-W/2)/(H/2))
    v=rng.random()
    if v<0.35:   # dark circular dermatoscope border
        R=rng.uniform(0.85,1.3); mm=np.clip((R-rn)/0.04,0,1)[...,None]; img=img*mm+img*0.04*(1-mm)
    elif v<0.7:
        img*= (1-rng.uniform(0.1,0.45)*np.clip(rn-0.4,0,None)**2)[...,None]
    img*=rng.uniform(0.8,1.15)
    img=np.clip(img,0,255).astype(np.uint8)
    im=Image.fromarray(img)
    if rng.random()<0.4: im=im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5,2)))
    return im
if __name__=='__main__':
    out=sys.argv[1]; a,b=int(sys.argv[2]),int(sys.argv[3]); os.makedirs(out,exist_ok=True)
    for s in range(a,b): make(s).save(f'{out}/gen_{s:04d}.jpg',quality=int(np.random.default_rng(s).integers(70,95)))

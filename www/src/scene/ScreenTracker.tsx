import { useFrame, useThree } from '@react-three/fiber';
import { useRef } from 'react';
import { Euler, Quaternion, Vector3, type Group } from 'three';
import { SCREEN_PX, SCREEN_WORLD } from './screen';

const centre = new Vector3();
const edge = new Vector3();
const turn = new Quaternion();
const tilt = new Euler(0, 0, 0, 'YXZ');

/**
 * Lives on the Mac's glass and keeps the DOM screen (a normal element over the canvas, so it stays
 * real, focusable and legible) aligned with it: projected centre, scale and the rig's tilt.
 */
export function ScreenTracker({ onPlace }: { onPlace: (cssTransform: string) => void }) {
  const anchor = useRef<Group>(null);
  const { camera, size } = useThree();
  useFrame(() => {
    const a = anchor.current;
    if (!a) return;
    a.updateWorldMatrix(true, false);
    // The frame callbacks run before the renderer updates the camera: without this, the first frame
    // (and, with frameloop="demand", every still one after it) projected with the camera as it was
    // before `lookAt`, 75 px off at 1280×720.
    camera.updateMatrixWorld();
    a.getWorldPosition(centre);
    edge.set(SCREEN_WORLD.width / 2, 0, 0).applyMatrix4(a.matrixWorld);
    centre.project(camera);
    edge.project(camera);
    const x = ((centre.x + 1) / 2) * size.width;
    const y = ((1 - centre.y) / 2) * size.height;
    const halfWidthPx = Math.abs(((edge.x + 1) / 2) * size.width - x);
    const scale = (2 * halfWidthPx) / SCREEN_PX.width;
    // The glass's own orientation in the world, whatever groups hold it (the rig's sway and lean).
    a.getWorldQuaternion(turn);
    tilt.setFromQuaternion(turn, 'YXZ');
    const ry = tilt.y;
    const rx = tilt.x;
    onPlace(`translate(${x}px, ${y}px) translate(-50%, -50%) perspective(1400px) rotateY(${ry}rad) rotateX(${-rx}rad) scale(${scale})`);
  });
  return <group ref={anchor} position={[...SCREEN_WORLD.center]} />;
}

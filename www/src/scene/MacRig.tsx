import { useFrame, useThree } from '@react-three/fiber';
import { useEffect, useRef, type ReactNode } from 'react';
import type { Group } from 'three';

/**
 * Moves the Mac: a gentle sway toward the pointer, a lean toward a file being dragged over, a nod
 * while thinking. Renders on demand: frames are requested only until the pose settles, so the GPU
 * (or a software renderer) is idle while the model runs.
 */
export function MacRig({ children, dragging, thinking, reducedMotion }: { children: ReactNode; dragging: boolean; thinking: boolean; reducedMotion: boolean }) {
  const group = useRef<Group>(null);
  const pointer = useRef({ x: 0, y: 0 });
  const invalidate = useThree((s) => s.invalidate);

  useEffect(() => {
    if (reducedMotion) return;
    const move = (e: PointerEvent) => {
      pointer.current = { x: (e.clientX / innerWidth) * 2 - 1, y: (e.clientY / innerHeight) * 2 - 1 };
      invalidate();
    };
    window.addEventListener('pointermove', move);
    return () => window.removeEventListener('pointermove', move);
  }, [invalidate, reducedMotion]);

  useEffect(() => invalidate(), [dragging, thinking, invalidate]);

  useFrame(() => {
    const g = group.current;
    if (!g || reducedMotion) return;
    const targetY = pointer.current.x * 0.12;
    const targetX = pointer.current.y * 0.05 + (dragging ? -0.1 : 0) + (thinking ? 0.06 : 0);
    const targetZ = dragging ? 0.25 : 0;
    const k = 0.12;
    g.rotation.y += (targetY - g.rotation.y) * k;
    g.rotation.x += (targetX - g.rotation.x) * k;
    g.position.z += (targetZ - g.position.z) * k;
    const moving =
      Math.abs(targetY - g.rotation.y) > 1e-3 || Math.abs(targetX - g.rotation.x) > 1e-3 || Math.abs(targetZ - g.position.z) > 1e-3;
    if (moving) invalidate();
  });

  return <group ref={group}>{children}</group>;
}

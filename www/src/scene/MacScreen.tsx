import { Html } from '@react-three/drei';
import type { ReactNode } from 'react';
import { BootOverlay } from './BootOverlay';

/** CSS pixels of the on-screen UI; 1 px = distanceFactor / 400 world units in drei's transform mode. */
const SCREEN_PX = { width: 720, height: 560 };
const SCREEN_UNITS_WIDTH = 1.84;

/** The live app on the CRT: real DOM (legible, focusable, droppable) with scanlines and glow. */
export function MacScreen({ children, dragging, thinking, reducedMotion }: { children: ReactNode; dragging: boolean; thinking: boolean; reducedMotion: boolean }) {
  return (
    <Html
      transform
      position={[0, 0.55, 0.04]}
      distanceFactor={(SCREEN_UNITS_WIDTH / SCREEN_PX.width) * 400}
      zIndexRange={[10, 0]}
      wrapperClass="mac-screen-wrapper"
    >
      <div
        className={`crt${dragging ? ' dragging' : ''}${thinking ? ' thinking' : ''}`}
        style={{ width: SCREEN_PX.width, height: SCREEN_PX.height }}
        data-testid="ui-3d"
      >
        <div className="crt-content">{children}</div>
        <div className="crt-scanlines" aria-hidden="true" />
        <BootOverlay skip={reducedMotion} />
      </div>
    </Html>
  );
}

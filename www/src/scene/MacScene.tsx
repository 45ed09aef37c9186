import { Canvas } from '@react-three/fiber';
import { useCallback, useRef, type ReactNode } from 'react';
import { CrtScreen } from './CrtScreen';
import { MacCase } from './MacCase';
import { MacKeyboard } from './MacKeyboard';
import { MacRig } from './MacRig';
import { ScreenTracker } from './ScreenTracker';

export interface MacSceneProps {
  dragging: boolean;
  thinking: boolean;
  lowQuality: boolean;
  reducedMotion: boolean;
  /** What the screen's children do not show: laid out beside the Mac. */
  side: ReactNode;
  children: ReactNode;
}

/**
 * The whole compact Macintosh in frame, keyboard and mouse included, seen a little from its right
 * (the case is turned, not the camera: the DOM screen follows the glass's own orientation).
 */
const CAMERA = { position: [0, 0.75, 8.4] as [number, number, number], fov: 30, lookAt: [0, -0.38, -0.3] as const };
const THREE_QUARTER_TURN = -0.32;

/** The retro Macintosh whose screen is the app. Loaded lazily; renders only when something changes. */
export default function MacScene({ dragging, thinking, lowQuality, reducedMotion, side, children }: MacSceneProps) {
  const screen = useRef<HTMLDivElement>(null);
  const place = useCallback((transform: string) => {
    const el = screen.current;
    if (!el) return;
    el.style.transform = transform;
    el.style.visibility = 'visible';
  }, []);
  return (
    <div className="mac-layout" data-testid="ui-3d">
      <div className="mac-stage" data-testid="mac-stage">
        <Canvas
          frameloop="demand"
          dpr={lowQuality ? 1 : [1, 2]}
          shadows={!lowQuality}
          camera={{ position: CAMERA.position, fov: CAMERA.fov }}
          onCreated={({ camera }) => camera.lookAt(...CAMERA.lookAt)}
          gl={{ antialias: !lowQuality, powerPreference: 'low-power' }}
          aria-label="A beige compact Macintosh showing the classifier on its screen"
        >
          <color attach="background" args={['#f3ecdc']} />
          <ambientLight intensity={0.7} />
          <directionalLight position={[3, 4, 5]} intensity={1.4} castShadow={!lowQuality} />
          <group rotation={[0, THREE_QUARTER_TURN, 0]}>
            <MacRig dragging={dragging} thinking={thinking} reducedMotion={reducedMotion}>
              <MacCase highlight={dragging} />
              <ScreenTracker onPlace={place} />
            </MacRig>
            <MacKeyboard />
          </group>
        </Canvas>
        <CrtScreen ref={screen} dragging={dragging} thinking={thinking} reducedMotion={reducedMotion}>
          {children}
        </CrtScreen>
      </div>
      <aside className="mac-side" aria-label="The full result, the patient and settings">
        {side}
      </aside>
    </div>
  );
}

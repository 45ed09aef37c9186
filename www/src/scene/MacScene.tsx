import { Canvas } from '@react-three/fiber';
import { useCallback, useRef, type ReactNode } from 'react';
import { CrtScreen } from './CrtScreen';
import { MacCase } from './MacCase';
import { MacRig } from './MacRig';
import { ScreenTracker } from './ScreenTracker';

export interface MacSceneProps {
  dragging: boolean;
  thinking: boolean;
  lowQuality: boolean;
  reducedMotion: boolean;
  children: ReactNode;
}

/** The retro Macintosh whose screen is the app. Loaded lazily; renders only when something changes. */
export default function MacScene({ dragging, thinking, lowQuality, reducedMotion, children }: MacSceneProps) {
  const screen = useRef<HTMLDivElement>(null);
  const place = useCallback((transform: string) => {
    const el = screen.current;
    if (!el) return;
    el.style.transform = transform;
    el.style.visibility = 'visible';
  }, []);
  return (
    <div className="mac-stage" data-testid="mac-stage">
      <Canvas
        frameloop="demand"
        dpr={lowQuality ? 1 : [1, 2]}
        shadows={!lowQuality}
        camera={{ position: [0, 0.6, 4.6], fov: 30 }}
        onCreated={({ camera }) => camera.lookAt(0, 0.3, 0)}
        gl={{ antialias: !lowQuality, powerPreference: 'low-power' }}
        aria-label="A beige compact Macintosh showing the classifier on its screen"
      >
        <color attach="background" args={['#f3ecdc']} />
        <ambientLight intensity={0.7} />
        <directionalLight position={[3, 4, 5]} intensity={1.4} castShadow={!lowQuality} />
        <MacRig dragging={dragging} thinking={thinking} reducedMotion={reducedMotion}>
          <MacCase highlight={dragging} />
          <ScreenTracker onPlace={place} />
        </MacRig>
      </Canvas>
      <CrtScreen ref={screen} dragging={dragging} thinking={thinking} reducedMotion={reducedMotion}>
        {children}
      </CrtScreen>
    </div>
  );
}

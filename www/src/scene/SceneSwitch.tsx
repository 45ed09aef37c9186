import { lazy, Suspense, useMemo, type ReactNode } from 'react';
import { chooseScene, prefersReducedMotion } from './capabilities';
import { SceneErrorBoundary } from './SceneErrorBoundary';

// three.js and react-three-fiber live in their own chunk, fetched after the 2D UI is usable.
const MacScene = lazy(() => import('./MacScene'));

export interface SceneProps {
  enabled: boolean;
  dragging: boolean;
  thinking: boolean;
  children: ReactNode;
}

/** Shows the UI on the 3D Macintosh's screen when the device can, else (and until then) flat. */
export function SceneSwitch({ enabled, dragging, thinking, children }: SceneProps) {
  const scene = useMemo(() => chooseScene(enabled), [enabled]);
  const flat = (
    <div className="flat" data-testid="ui-2d" data-reason={scene.mode === '2d' ? scene.reason : 'loading 3D'}>
      {children}
    </div>
  );
  if (scene.mode === '2d') return flat;
  return (
    <SceneErrorBoundary fallback={flat}>
      <Suspense fallback={flat}>
        <MacScene dragging={dragging} thinking={thinking} lowQuality={scene.lowQuality} reducedMotion={prefersReducedMotion()}>
          {children}
        </MacScene>
      </Suspense>
    </SceneErrorBoundary>
  );
}

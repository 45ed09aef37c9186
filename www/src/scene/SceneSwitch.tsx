import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { chooseScene, prefersReducedMotion, type SceneMode } from './capabilities';
import { SceneErrorBoundary } from './SceneErrorBoundary';
import { WorkspaceSlot } from './WorkspaceSlot';

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
  // Decided after the first paint: probing WebGL creates a context, which can take hundreds of
  // milliseconds with a software renderer, and the 2D UI must not wait for it.
  const [scene, setScene] = useState<SceneMode>({ mode: '2d', reason: 'loading 3D' });
  useEffect(() => {
    const timer = setTimeout(() => setScene(chooseScene(enabled)), 0);
    return () => clearTimeout(timer);
  }, [enabled]);
  // The workspace renders once into this detached element, which the 2D or 3D layout then hosts.
  const [container] = useState(() => {
    const el = document.createElement('div');
    el.className = 'workspace-host';
    return el;
  });
  const slot = <WorkspaceSlot container={container} />;
  const flat = (reason: string) => (
    <div className="flat" data-testid="ui-2d" data-reason={reason}>
      {slot}
    </div>
  );
  return (
    <>
      {createPortal(children, container)}
      {scene.mode === '2d' ? (
        flat(scene.reason)
      ) : (
        <SceneErrorBoundary fallback={flat('the 3D interface failed')}>
          <Suspense fallback={flat('loading 3D')}>
            <MacScene dragging={dragging} thinking={thinking} lowQuality={scene.lowQuality} reducedMotion={prefersReducedMotion()}>
              {slot}
            </MacScene>
          </Suspense>
        </SceneErrorBoundary>
      )}
    </>
  );
}

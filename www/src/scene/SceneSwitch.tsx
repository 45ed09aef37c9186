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
  /** The engine is loading from the device (CPU-bound): the 3D waits for it as for a classification. */
  busy?: boolean;
  /** What the Mac's screen shows (first in the 2D layout). */
  screen: ReactNode;
  /** The rest: beside the Mac in 3D, below the screen part in 2D. */
  side: ReactNode;
}

/** Shows the UI on the 3D Macintosh's screen (and beside it) when the device can, else (and until then) flat. */
export function SceneSwitch({ enabled, dragging, thinking, busy = false, screen, side }: SceneProps) {
  // Decided when the page is idle, no classification is running and the engine is not loading from
  // the device: probing WebGL creates a context (hundreds of milliseconds with a software renderer)
  // and the 3D chunk is 260 KB gzip of JavaScript to compile, and neither may delay the 2D UI or the
  // first result.
  const [decision, setDecision] = useState<{ enabled: boolean; scene: SceneMode }>();
  const scene: SceneMode = decision?.enabled === enabled ? decision.scene : { mode: '2d', reason: 'loading 3D' };
  const decided = decision?.enabled === enabled;
  useEffect(() => {
    if (thinking || busy || decided) return;
    const decide = () => setDecision({ enabled, scene: chooseScene(enabled) });
    if (typeof requestIdleCallback === 'function') {
      const id = requestIdleCallback(decide, { timeout: 2000 });
      return () => cancelIdleCallback(id);
    }
    const timer = setTimeout(decide, 200);
    return () => clearTimeout(timer);
  }, [enabled, thinking, busy, decided]);
  // The workspace renders once into these detached elements, which the 2D or 3D layout then hosts.
  const [screenHost] = useState(() => host());
  const [sideHost] = useState(() => host());
  const screenSlot = <WorkspaceSlot container={screenHost} />;
  const sideSlot = <WorkspaceSlot container={sideHost} />;
  const flat = (reason: string) => (
    <div className="flat" data-testid="ui-2d" data-reason={reason}>
      {screenSlot}
      {sideSlot}
    </div>
  );
  return (
    <>
      {createPortal(screen, screenHost)}
      {createPortal(side, sideHost)}
      {scene.mode === '2d' ? (
        flat(scene.reason)
      ) : (
        <SceneErrorBoundary fallback={flat('the 3D interface failed')}>
          <Suspense fallback={flat('loading 3D')}>
            <MacScene dragging={dragging} thinking={thinking} lowQuality={scene.lowQuality} reducedMotion={prefersReducedMotion()} side={sideSlot}>
              {screenSlot}
            </MacScene>
          </Suspense>
        </SceneErrorBoundary>
      )}
    </>
  );
}

function host(): HTMLDivElement {
  const el = document.createElement('div');
  el.className = 'workspace-host';
  return el;
}

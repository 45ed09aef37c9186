import type { ReactNode } from 'react';

/** Chooses between the 3D Macintosh and the flat 2D layout. */
export function SceneSwitch({ children }: { enabled: boolean; dragging: boolean; thinking: boolean; children: ReactNode }) {
  return <div className="flat">{children}</div>;
}

import { useLayoutEffect, useRef } from 'react';

/**
 * Where the (single, long-lived) workspace DOM is shown. Moving between the 2D layout and the 3D
 * screen moves the same nodes, so an open file chooser, a half-typed age or the focus survive.
 */
export function WorkspaceSlot({ container }: { container: HTMLElement }) {
  const host = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const focused = document.activeElement;
    host.current?.appendChild(container);
    if (focused instanceof HTMLElement && container.contains(focused) && document.activeElement !== focused) {
      focused.focus({ preventScroll: true });
    }
  }, [container]);
  return <div ref={host} className="workspace-slot" />;
}

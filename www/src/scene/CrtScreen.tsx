import { forwardRef, type ReactNode } from 'react';
import { BootOverlay } from './BootOverlay';
import { SCREEN_PX } from './screen';

/** The live app on the CRT: real DOM with scanlines and glow, placed over the glass by ScreenTracker. */
export const CrtScreen = forwardRef<HTMLDivElement, { children: ReactNode; dragging: boolean; thinking: boolean; reducedMotion: boolean }>(
  function CrtScreen({ children, dragging, thinking, reducedMotion }, ref) {
    return (
      <div
        ref={ref}
        className={`crt${dragging ? ' dragging' : ''}${thinking ? ' thinking' : ''}`}
        style={{ width: SCREEN_PX.width, height: SCREEN_PX.height }}
        data-testid="crt"
      >
        <div className="crt-content">{children}</div>
        <div className="crt-scanlines" aria-hidden="true" />
        <BootOverlay skip={reducedMotion} />
      </div>
    );
  },
);

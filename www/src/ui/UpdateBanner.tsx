import { useRegisterSW } from 'virtual:pwa-register/react';

/** Registers the service worker and offers a reload when a new version is waiting. */
export function UpdateBanner() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady, setOfflineReady],
    updateServiceWorker,
  } = useRegisterSW();
  if (!needRefresh && !offlineReady) return null;
  return (
    <div className="banner" role="status" data-testid={needRefresh ? 'update-banner' : 'offline-ready'}>
      {needRefresh ? 'An update is available.' : 'Ready to work offline.'}
      {needRefresh && (
        <button type="button" className="primary" onClick={() => updateServiceWorker(true)}>
          Reload
        </button>
      )}
      <button type="button" onClick={() => (setNeedRefresh(false), setOfflineReady(false))}>
        Dismiss
      </button>
    </div>
  );
}

import type { EnginePreference } from '../engine/choose';
import type { Settings } from '../engine/useClassifier';

export function SettingsPanel({ settings, onChange, localNote }: { settings: Settings; onChange: (s: Settings) => void; localNote?: string }) {
  const engines: [EnginePreference, string][] = [
    ['auto', 'Automatic (on this device when it can)'],
    ['local', 'Always on this device'],
    ['cloud', 'Always the cloud API'],
  ];
  return (
    <details className="settings">
      <summary>Settings</summary>
      <fieldset>
        <legend>Engine</legend>
        {engines.map(([value, label]) => (
          <label key={value} className="radio">
            <input
              type="radio"
              name="engine"
              value={value}
              checked={settings.engine === value}
              onChange={() => onChange({ ...settings, engine: value })}
            />
            {label}
          </label>
        ))}
        {localNote && <p className="note">On-device is unavailable: {localNote}.</p>}
      </fieldset>
      <label>
        Cloud API address (empty = this site)
        <input
          type="url"
          placeholder="https://api.example.org"
          value={settings.apiBase}
          onChange={(e) => onChange({ ...settings, apiBase: e.currentTarget.value.trim() })}
        />
      </label>
      <label className="radio">
        <input type="checkbox" checked={settings.scene3d} onChange={(e) => onChange({ ...settings, scene3d: e.currentTarget.checked })} />
        3D Macintosh interface
      </label>
    </details>
  );
}

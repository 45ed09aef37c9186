import type { PatientMetadata } from 'vibe-opsy';
import { hasMetadataField, humanize, metadataOptions } from './manifest';

export function MetadataForm({ value, onChange }: { value: PatientMetadata; onChange: (m: PatientMetadata) => void }) {
  if (!hasMetadataField('age') && !hasMetadataField('sex') && !hasMetadataField('site')) return null;
  return (
    <fieldset className="metadata">
      <legend>About the patient (optional — improves the estimate)</legend>
      {hasMetadataField('age') && (
        <label>
          Age
          <input
            type="number"
            min={0}
            max={120}
            inputMode="numeric"
            value={value.age ?? ''}
            onChange={(e) => onChange({ ...value, age: e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value) })}
          />
        </label>
      )}
      {(['sex', 'site'] as const).map(
        (field) =>
          hasMetadataField(field) && (
            <label key={field}>
              {field === 'sex' ? 'Sex' : 'Body site'}
              <select value={value[field] ?? ''} onChange={(e) => onChange({ ...value, [field]: e.currentTarget.value || undefined })}>
                <option value="">Unknown</option>
                {metadataOptions(field).map((v) => (
                  <option key={v} value={v}>
                    {humanize(v)}
                  </option>
                ))}
              </select>
            </label>
          ),
      )}
    </fieldset>
  );
}

// The model manifest, bundled from the package: labels, malignancy and metadata options come from
// here and nowhere else.
import type { Manifest } from 'vibe-opsy';
import manifestJson from 'vibe-opsy/model/sklesion.manifest.json';

export const manifest = manifestJson as unknown as Manifest;

/** Allowed values of a one-hot metadata field (without "unknown"). */
export function metadataOptions(field: string): string[] {
  const feature = manifest.metadata_input?.features.find((f) => f.kind === 'one_hot' && f.field === field);
  return feature && feature.kind === 'one_hot' ? feature.values.filter((v) => v !== feature.unknown) : [];
}

/** Whether the model accepts a metadata field at all. */
export function hasMetadataField(field: string): boolean {
  return manifest.metadata_input?.features.some((f) => f.field === field) ?? false;
}

export function humanize(value: string): string {
  return value.replace(/_/g, ' / ').replace(/^./, (c) => c.toUpperCase());
}

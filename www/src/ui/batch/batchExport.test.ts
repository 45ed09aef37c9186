import { describe, expect, it } from 'vitest';
import type { Prediction } from 'vibe-opsy';
import { batchCsv, batchJson } from './batchExport';

const prediction = (cls: string, inDomain = true): Prediction =>
  ({
    class: cls,
    label: cls === 'mel' ? 'Melanoma' : 'Melanocytic nevus',
    confidence: 0.8,
    is_cancer: cls === 'mel',
    cancer_probability: cls === 'mel' ? 0.8 : 0.1,
    in_domain: inDomain,
    domain_score: 1,
    probabilities: {
      mel: cls === 'mel' ? 0.8 : 0.1,
      nv: cls === 'mel' ? 0.2 : 0.9,
    },
    model: { name: 'm', version: '1', sha256: 'x'.repeat(64) },
    image: { width: 1, height: 1, format: 'PNG' },
    warnings: inDomain ? [] : [{ code: 'not_dermatoscopic', message: 'm' }],
  }) as Prediction;

describe('batch export', () => {
  const items = [
    { file: 'a.png', prediction: prediction('nv') },
    { file: 'b, "quoted".jpg', prediction: prediction('mel') },
    {
      file: 'c.jpg',
      error: { code: 'corrupt_image', message: 'the image is corrupt, truly' },
    },
    { file: 'd.jpg', prediction: prediction('nv', false) },
  ];

  it('writes the CLI JSON: the prediction plus file, or the error plus file', () => {
    const rows = JSON.parse(batchJson(items));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({
      file: 'a.png',
      class: 'nv',
      probabilities: { nv: 0.9 },
    });
    expect(rows[2]).toEqual({
      file: 'c.jpg',
      error: { code: 'corrupt_image', message: 'the image is corrupt, truly' },
    });
  });

  it('writes one CSV row per file, quoted where needed, no class for an out-of-domain image', () => {
    const lines = batchCsv(items, ['mel', 'nv']).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'file,class,label,confidence,is_cancer,cancer_probability,in_domain,p_mel,p_nv,warnings,error_code,error_message',
    );
    expect(lines[1]).toBe('a.png,nv,Melanocytic nevus,0.8,false,0.1,true,0.1,0.9,,,');
    expect(lines[2].startsWith('"b, ""quoted"".jpg",mel,Melanoma')).toBe(true);
    expect(lines[3]).toBe('c.jpg,,,,,,,,,,corrupt_image,"the image is corrupt, truly"');
    expect(lines[4]).toBe('d.jpg,,,,,0.1,false,0.1,0.9,not_dermatoscopic,,');
  });
});

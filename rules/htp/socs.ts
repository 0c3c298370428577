/** The HTP SoC table: SoC model → HTP architecture and VTCM size. */
import type { SocInfo } from '../types';

export const HTP_SOCS: SocInfo[] = [
  { model: 'SM8350', marketing: 'Snapdragon 888', htpArch: 68, vtcmMB: 4, chipsetId: 30 },
  { model: 'SA8295', marketing: 'automotive', htpArch: 68, vtcmMB: 8, chipsetId: 39 },
  { model: 'QCM6490', marketing: 'IoT', htpArch: 68, vtcmMB: 2, chipsetId: 93 },
  { model: 'SM8450', marketing: 'Snapdragon 8 Gen 1', htpArch: 69, vtcmMB: 8, chipsetId: 36 },
  { model: 'SM8475', marketing: 'Snapdragon 8+ Gen 1', htpArch: 69, vtcmMB: 8, chipsetId: 42 },
  { model: 'SXR2230P', marketing: 'XR', htpArch: 69, vtcmMB: 8, chipsetId: 53 },
  { model: 'SM8550', marketing: 'Snapdragon 8 Gen 2', htpArch: 73, vtcmMB: 8, chipsetId: 43 },
  { model: 'SA8255', marketing: 'automotive', htpArch: 73, vtcmMB: 8, chipsetId: 52 },
  { model: 'SSG2115P', marketing: 'XR / glasses', htpArch: 73, vtcmMB: 2, chipsetId: 46 },
  { model: 'SSG2125P', htpArch: 73, vtcmMB: 2, chipsetId: 58 },
  { model: 'SXR1230P', htpArch: 73, vtcmMB: 2, chipsetId: 45 },
  { model: 'QCS9100', htpArch: 73, vtcmMB: 8, chipsetId: 77 },
  { model: 'SM8650', marketing: 'Snapdragon 8 Gen 3', htpArch: 75, vtcmMB: 8, chipsetId: 57 },
  { model: 'SM8750', marketing: 'Snapdragon 8 Elite', htpArch: 79, vtcmMB: 8, chipsetId: 69 },
  { model: 'SXR2330P', htpArch: 79, vtcmMB: 8, chipsetId: 75 },
  { model: 'SM8850', htpArch: 81, vtcmMB: 8, lpai: 6, chipsetId: 87 },
  { model: 'SM8845', htpArch: 81, vtcmMB: 8, chipsetId: 97 },
  { model: 'SA8797', htpArch: 81, vtcmMB: 16, chipsetId: 72 },
  { model: 'SAR2230P', htpArch: 81, vtcmMB: 4, lpai: 6, chipsetId: 95 },
  { model: 'SW6100', htpArch: 81, vtcmMB: 4, chipsetId: 96 },
];

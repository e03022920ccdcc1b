/**
 * Well-known DICOM UIDs (PS3.6 Annex A): SOP classes with their name, the
 * modality they imply when a host sends them, and what kind of service they
 * are; transfer syntaxes by name. Used to label flows ("CT Image Storage")
 * and to infer a host's modality from what it stores.
 */

export type SopKind = 'verification' | 'storage' | 'query' | 'retrieve' | 'worklist' | 'mpps' | 'commitment' | 'print' | 'workflow' | 'other';

export interface SopClassInfo {
  name: string;
  kind: SopKind;
  /** Modality (0008,0060) the SOP class is sent by, for storage classes. */
  modality?: string;
}

const S = 'storage';
const SOP: Record<string, SopClassInfo> = {
  '1.2.840.10008.1.1': { name: 'Verification', kind: 'verification' },
  '1.2.840.10008.1.20.1': { name: 'Storage Commitment Push Model', kind: 'commitment' },
  '1.2.840.10008.1.9': { name: 'Basic Study Content Notification', kind: 'other' },
  '1.2.840.10008.3.1.2.3.3': { name: 'Modality Performed Procedure Step', kind: 'mpps' },
  '1.2.840.10008.3.1.2.3.4': { name: 'Modality Performed Procedure Step Retrieve', kind: 'mpps' },
  '1.2.840.10008.3.1.2.3.5': { name: 'Modality Performed Procedure Step Notification', kind: 'mpps' },
  '1.2.840.10008.5.1.1.9': { name: 'Basic Grayscale Print Management Meta', kind: 'print' },
  '1.2.840.10008.5.1.1.18': { name: 'Basic Color Print Management Meta', kind: 'print' },
  '1.2.840.10008.5.1.4.1.1.1': { name: 'Computed Radiography Image Storage', kind: S, modality: 'CR' },
  '1.2.840.10008.5.1.4.1.1.1.1': { name: 'Digital X-Ray Image Storage - For Presentation', kind: S, modality: 'DX' },
  '1.2.840.10008.5.1.4.1.1.1.1.1': { name: 'Digital X-Ray Image Storage - For Processing', kind: S, modality: 'DX' },
  '1.2.840.10008.5.1.4.1.1.1.2': { name: 'Digital Mammography X-Ray Image Storage - For Presentation', kind: S, modality: 'MG' },
  '1.2.840.10008.5.1.4.1.1.1.2.1': { name: 'Digital Mammography X-Ray Image Storage - For Processing', kind: S, modality: 'MG' },
  '1.2.840.10008.5.1.4.1.1.1.3': { name: 'Digital Intra-Oral X-Ray Image Storage - For Presentation', kind: S, modality: 'IO' },
  '1.2.840.10008.5.1.4.1.1.1.3.1': { name: 'Digital Intra-Oral X-Ray Image Storage - For Processing', kind: S, modality: 'IO' },
  '1.2.840.10008.5.1.4.1.1.2': { name: 'CT Image Storage', kind: S, modality: 'CT' },
  '1.2.840.10008.5.1.4.1.1.2.1': { name: 'Enhanced CT Image Storage', kind: S, modality: 'CT' },
  '1.2.840.10008.5.1.4.1.1.2.2': { name: 'Legacy Converted Enhanced CT Image Storage', kind: S, modality: 'CT' },
  '1.2.840.10008.5.1.4.1.1.3.1': { name: 'Ultrasound Multi-frame Image Storage', kind: S, modality: 'US' },
  '1.2.840.10008.5.1.4.1.1.4': { name: 'MR Image Storage', kind: S, modality: 'MR' },
  '1.2.840.10008.5.1.4.1.1.4.1': { name: 'Enhanced MR Image Storage', kind: S, modality: 'MR' },
  '1.2.840.10008.5.1.4.1.1.4.2': { name: 'MR Spectroscopy Storage', kind: S, modality: 'MR' },
  '1.2.840.10008.5.1.4.1.1.4.3': { name: 'Enhanced MR Color Image Storage', kind: S, modality: 'MR' },
  '1.2.840.10008.5.1.4.1.1.6.1': { name: 'Ultrasound Image Storage', kind: S, modality: 'US' },
  '1.2.840.10008.5.1.4.1.1.6.2': { name: 'Enhanced US Volume Storage', kind: S, modality: 'US' },
  '1.2.840.10008.5.1.4.1.1.7': { name: 'Secondary Capture Image Storage', kind: S, modality: 'OT' },
  '1.2.840.10008.5.1.4.1.1.7.1': { name: 'Multi-frame Single Bit Secondary Capture Image Storage', kind: S, modality: 'OT' },
  '1.2.840.10008.5.1.4.1.1.7.2': { name: 'Multi-frame Grayscale Byte Secondary Capture Image Storage', kind: S, modality: 'OT' },
  '1.2.840.10008.5.1.4.1.1.7.3': { name: 'Multi-frame Grayscale Word Secondary Capture Image Storage', kind: S, modality: 'OT' },
  '1.2.840.10008.5.1.4.1.1.7.4': { name: 'Multi-frame True Color Secondary Capture Image Storage', kind: S, modality: 'OT' },
  '1.2.840.10008.5.1.4.1.1.9.1.1': { name: '12-lead ECG Waveform Storage', kind: S, modality: 'ECG' },
  '1.2.840.10008.5.1.4.1.1.9.1.2': { name: 'General ECG Waveform Storage', kind: S, modality: 'ECG' },
  '1.2.840.10008.5.1.4.1.1.9.1.3': { name: 'Ambulatory ECG Waveform Storage', kind: S, modality: 'ECG' },
  '1.2.840.10008.5.1.4.1.1.9.2.1': { name: 'Hemodynamic Waveform Storage', kind: S, modality: 'HD' },
  '1.2.840.10008.5.1.4.1.1.9.3.1': { name: 'Cardiac Electrophysiology Waveform Storage', kind: S, modality: 'EPS' },
  '1.2.840.10008.5.1.4.1.1.9.4.1': { name: 'Basic Voice Audio Waveform Storage', kind: S, modality: 'AU' },
  '1.2.840.10008.5.1.4.1.1.11.1': { name: 'Grayscale Softcopy Presentation State Storage', kind: S, modality: 'PR' },
  '1.2.840.10008.5.1.4.1.1.11.2': { name: 'Color Softcopy Presentation State Storage', kind: S, modality: 'PR' },
  '1.2.840.10008.5.1.4.1.1.11.3': { name: 'Pseudo-Color Softcopy Presentation State Storage', kind: S, modality: 'PR' },
  '1.2.840.10008.5.1.4.1.1.11.4': { name: 'Blending Softcopy Presentation State Storage', kind: S, modality: 'PR' },
  '1.2.840.10008.5.1.4.1.1.12.1': { name: 'X-Ray Angiographic Image Storage', kind: S, modality: 'XA' },
  '1.2.840.10008.5.1.4.1.1.12.1.1': { name: 'Enhanced XA Image Storage', kind: S, modality: 'XA' },
  '1.2.840.10008.5.1.4.1.1.12.2': { name: 'X-Ray Radiofluoroscopic Image Storage', kind: S, modality: 'RF' },
  '1.2.840.10008.5.1.4.1.1.12.2.1': { name: 'Enhanced XRF Image Storage', kind: S, modality: 'RF' },
  '1.2.840.10008.5.1.4.1.1.13.1.1': { name: 'X-Ray 3D Angiographic Image Storage', kind: S, modality: 'XA' },
  '1.2.840.10008.5.1.4.1.1.13.1.3': { name: 'Breast Tomosynthesis Image Storage', kind: S, modality: 'MG' },
  '1.2.840.10008.5.1.4.1.1.20': { name: 'Nuclear Medicine Image Storage', kind: S, modality: 'NM' },
  '1.2.840.10008.5.1.4.1.1.66': { name: 'Raw Data Storage', kind: S },
  '1.2.840.10008.5.1.4.1.1.66.1': { name: 'Spatial Registration Storage', kind: S, modality: 'REG' },
  '1.2.840.10008.5.1.4.1.1.66.4': { name: 'Segmentation Storage', kind: S, modality: 'SEG' },
  '1.2.840.10008.5.1.4.1.1.77.1.1': { name: 'VL Endoscopic Image Storage', kind: S, modality: 'ES' },
  '1.2.840.10008.5.1.4.1.1.77.1.2': { name: 'VL Microscopic Image Storage', kind: S, modality: 'GM' },
  '1.2.840.10008.5.1.4.1.1.77.1.4': { name: 'VL Photographic Image Storage', kind: S, modality: 'XC' },
  '1.2.840.10008.5.1.4.1.1.77.1.5.1': { name: 'Ophthalmic Photography 8 Bit Image Storage', kind: S, modality: 'OP' },
  '1.2.840.10008.5.1.4.1.1.77.1.5.4': { name: 'Ophthalmic Tomography Image Storage', kind: S, modality: 'OPT' },
  '1.2.840.10008.5.1.4.1.1.77.1.6': { name: 'VL Whole Slide Microscopy Image Storage', kind: S, modality: 'SM' },
  '1.2.840.10008.5.1.4.1.1.88.11': { name: 'Basic Text SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.88.22': { name: 'Enhanced SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.88.33': { name: 'Comprehensive SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.88.50': { name: 'Mammography CAD SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.88.59': { name: 'Key Object Selection Document Storage', kind: S, modality: 'KO' },
  '1.2.840.10008.5.1.4.1.1.88.65': { name: 'Chest CAD SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.88.67': { name: 'X-Ray Radiation Dose SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.88.69': { name: 'Colon CAD SR Storage', kind: S, modality: 'SR' },
  '1.2.840.10008.5.1.4.1.1.104.1': { name: 'Encapsulated PDF Storage', kind: S, modality: 'DOC' },
  '1.2.840.10008.5.1.4.1.1.128': { name: 'Positron Emission Tomography Image Storage', kind: S, modality: 'PT' },
  '1.2.840.10008.5.1.4.1.1.130': { name: 'Enhanced PET Image Storage', kind: S, modality: 'PT' },
  '1.2.840.10008.5.1.4.1.1.481.1': { name: 'RT Image Storage', kind: S, modality: 'RTIMAGE' },
  '1.2.840.10008.5.1.4.1.1.481.2': { name: 'RT Dose Storage', kind: S, modality: 'RTDOSE' },
  '1.2.840.10008.5.1.4.1.1.481.3': { name: 'RT Structure Set Storage', kind: S, modality: 'RTSTRUCT' },
  '1.2.840.10008.5.1.4.1.1.481.4': { name: 'RT Beams Treatment Record Storage', kind: S, modality: 'RTRECORD' },
  '1.2.840.10008.5.1.4.1.1.481.5': { name: 'RT Plan Storage', kind: S, modality: 'RTPLAN' },
  '1.2.840.10008.5.1.4.1.2.1.1': { name: 'Patient Root Query/Retrieve Information Model - FIND', kind: 'query' },
  '1.2.840.10008.5.1.4.1.2.1.2': { name: 'Patient Root Query/Retrieve Information Model - MOVE', kind: 'retrieve' },
  '1.2.840.10008.5.1.4.1.2.1.3': { name: 'Patient Root Query/Retrieve Information Model - GET', kind: 'retrieve' },
  '1.2.840.10008.5.1.4.1.2.2.1': { name: 'Study Root Query/Retrieve Information Model - FIND', kind: 'query' },
  '1.2.840.10008.5.1.4.1.2.2.2': { name: 'Study Root Query/Retrieve Information Model - MOVE', kind: 'retrieve' },
  '1.2.840.10008.5.1.4.1.2.2.3': { name: 'Study Root Query/Retrieve Information Model - GET', kind: 'retrieve' },
  '1.2.840.10008.5.1.4.1.2.3.1': { name: 'Patient/Study Only Query/Retrieve Information Model - FIND', kind: 'query' },
  '1.2.840.10008.5.1.4.1.2.3.2': { name: 'Patient/Study Only Query/Retrieve Information Model - MOVE', kind: 'retrieve' },
  '1.2.840.10008.5.1.4.1.2.3.3': { name: 'Patient/Study Only Query/Retrieve Information Model - GET', kind: 'retrieve' },
  '1.2.840.10008.5.1.4.31': { name: 'Modality Worklist Information Model - FIND', kind: 'worklist' },
  '1.2.840.10008.5.1.4.33': { name: 'Instance Availability Notification', kind: 'other' },
  '1.2.840.10008.5.1.4.34.6.1': { name: 'Unified Procedure Step - Push', kind: 'workflow' },
  '1.2.840.10008.5.1.4.34.6.2': { name: 'Unified Procedure Step - Watch', kind: 'workflow' },
  '1.2.840.10008.5.1.4.34.6.3': { name: 'Unified Procedure Step - Pull', kind: 'workflow' },
  '1.2.840.10008.5.1.4.34.6.4': { name: 'Unified Procedure Step - Event', kind: 'workflow' },
};

export function sopClass(uid: string): SopClassInfo | undefined {
  return SOP[uid];
}

export function sopClassName(uid: string): string {
  return SOP[uid]?.name ?? uid;
}

const TRANSFER: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

export function transferSyntaxName(uid: string): string {
  return TRANSFER[uid] ?? uid;
}

/** Data sets in this transfer syntax use implicit VR (affects how elements are walked). */
export function isImplicitVr(uid: string): boolean {
  return uid === '1.2.840.10008.1.2';
}

export function isBigEndian(uid: string): boolean {
  return uid === '1.2.840.10008.1.2.2';
}

/**
 * Real DICOM files for the peer tests (written by pydicom): Part 10 files
 * whose patient attributes are canaries that must never surface in what the
 * analyzer reports.
 */
import { execFileSync } from 'node:child_process';

export interface DicomFileSpec {
  path: string;
  sopClass: string;
  sopInstance: string;
  study: string;
  series: string;
  modality: string;
  rows: number;
  columns: number;
  /** Further attributes by keyword (PatientName, PatientBirthDate...). */
  attributes: Record<string, string>;
  /** Pixel byte j is (j * step + offset) & 255; `length` bytes in all. */
  pixels: { length: number; step: number; offset: number };
}

const WRITE = `
import json, sys
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
for f in json.loads(sys.argv[1]):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = f['sopClass']
    meta.MediaStorageSOPInstanceUID = f['sopInstance']
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(f['path'], {}, file_meta=meta, preamble=b'\\0' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = f['study']
    ds.SeriesInstanceUID = f['series']
    for k, v in f['attributes'].items():
        setattr(ds, k, v)
    ds.Modality = f['modality']
    ds.Rows = f['rows']
    ds.Columns = f['columns']
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    p = f['pixels']
    ds.PixelData = bytes((j * p['step'] + p['offset']) & 255 for j in range(p['length']))
    ds.save_as(f['path'], write_like_original=False)
`;

export function writeDicomFiles(files: DicomFileSpec[]): void {
  execFileSync('/usr/bin/python3', ['-c', WRITE, JSON.stringify(files)]);
}

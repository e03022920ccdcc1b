#!/usr/bin/python3
"""Write small valid DICOM Part-10 files for the sample hospital's modalities.

Synthetic patients only (plus the PHI canary ZZCANARY^PHINEAS / CANARY-7731, a
name that must never show up in anything Wardline stores or prints). UIDs are
derived from fixed strings so that every lab run sends the same objects.

usage: mkdicom.py OUTDIR
"""
import os
import struct
import sys
import datetime
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid, PYDICOM_IMPLEMENTATION_UID

SOP = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",    # CT Image Storage
    "MR": "1.2.840.10008.5.1.4.1.1.4",    # MR Image Storage
    "US": "1.2.840.10008.5.1.4.1.1.6.1",  # Ultrasound Image Storage
}
# file, patient name, patient id, sex, birth date, modality, accession, description, station
CASES = [
    ("ct1", "DOE^JOHN", "MRN0001", "M", "19600101", "CT", "ACC1001", "CT CHEST W CONTRAST", "CT_SCANNER01"),
    ("ct2", "ZZCANARY^PHINEAS", "CANARY-7731", "M", "19990909", "CT", "ACC7731", "CT HEAD WO CONTRAST", "CT_SCANNER01"),
    ("mr1", "SMITH^JANE", "MRN0002", "F", "19750505", "MR", "ACC1002", "MRI BRAIN WO CONTRAST", "MR_SCANNER01"),
    ("us1", "GARCIA^MARIA", "MRN0003", "F", "19881212", "US", "ACC1003", "US ABDOMEN COMPLETE", "US_CART03"),
]
SIZE = 64


def main(out):
    os.makedirs(out, exist_ok=True)
    when = datetime.datetime(2026, 3, 14, 9, 30, 0)
    pixels = b"".join(struct.pack("<H", (x * 7 + y * 13) & 0x0FFF) for y in range(SIZE) for x in range(SIZE))
    with open(os.path.join(out, "manifest.tsv"), "w") as man:
        for stem, name, pid, sex, dob, mod, acc, desc, station in CASES:
            fn = stem + ".dcm"
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = SOP[mod]
            meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["stbrigid", fn, "sop"])
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
            ds = Dataset()
            ds.file_meta = meta
            ds.is_little_endian = True
            ds.is_implicit_VR = False
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.SOPClassUID = SOP[mod]
            ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
            ds.PatientName = name
            ds.PatientID = pid
            ds.PatientSex = sex
            ds.PatientBirthDate = dob
            ds.StudyInstanceUID = generate_uid(entropy_srcs=["stbrigid", acc, "study"])
            ds.SeriesInstanceUID = generate_uid(entropy_srcs=["stbrigid", stem, "series"])
            ds.StudyDate = ds.SeriesDate = ds.ContentDate = when.strftime("%Y%m%d")
            ds.StudyTime = ds.SeriesTime = ds.ContentTime = when.strftime("%H%M%S")
            ds.AccessionNumber = acc
            ds.StudyID = acc[-4:]
            ds.StudyDescription = desc
            ds.ReferringPhysicianName = "HOUSE^GREGORY"
            ds.InstitutionName = "ST BRIGID GENERAL HOSPITAL"
            ds.StationName = station
            ds.Manufacturer = "WARDLINE-LAB"
            ds.Modality = mod
            ds.SeriesNumber = 1
            ds.InstanceNumber = 1
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.Rows = ds.Columns = SIZE
            ds.BitsAllocated = 16
            ds.BitsStored = 12
            ds.HighBit = 11
            ds.PixelRepresentation = 0
            ds.PixelData = pixels
            ds.save_as(os.path.join(out, fn), write_like_original=False)
            man.write("\t".join([fn, mod, acc, ds.StudyInstanceUID, ds.SOPInstanceUID]) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/python3
"""A tiny FHIR-ish R4 read-only endpoint for emr-core-01 (synthetic JSON).

GET /fhir/metadata, /fhir/Appointment[?...], /fhir/Patient/{id}; anything else 404.
usage: fhir_server.py HOST PORT
"""
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PATIENTS = {
    "MRN0001": ("DOE", "JOHN", "male", "1960-01-01"),
    "MRN0002": ("SMITH", "JANE", "female", "1975-05-05"),
    "MRN0003": ("GARCIA", "MARIA", "female", "1988-12-12"),
    "CANARY-7731": ("ZZCANARY", "PHINEAS", "male", "1999-09-09"),
}


def patient(pid):
    fam, given, sex, dob = PATIENTS[pid]
    return {"resourceType": "Patient", "id": pid,
            "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": pid}],
            "name": [{"family": fam, "given": [given]}], "gender": sex, "birthDate": dob}


def appointments():
    entries = []
    for i, pid in enumerate(["MRN0001", "MRN0002"], start=1):
        entries.append({"resource": {
            "resourceType": "Appointment", "id": "APPT%04d" % i, "status": "booked",
            "start": "2026-03-2%dT09:00:00Z" % i, "end": "2026-03-2%dT09:30:00Z" % i,
            "participant": [{"actor": {"reference": "Patient/" + pid}, "status": "accepted"}]}})
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


class Handler(BaseHTTPRequestHandler):
    server_version = "StBrigidEMR/4.0"
    sys_version = ""

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/fhir+json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/fhir/metadata":
            self.send_json(200, {"resourceType": "CapabilityStatement", "status": "active",
                                 "fhirVersion": "4.0.1", "format": ["json"]})
        elif path == "/fhir/Appointment":
            self.send_json(200, appointments())
        elif path.startswith("/fhir/Patient/") and path[len("/fhir/Patient/"):] in PATIENTS:
            self.send_json(200, patient(path[len("/fhir/Patient/"):]))
        else:
            self.send_json(404, {"resourceType": "OperationOutcome",
                                 "issue": [{"severity": "error", "code": "not-found"}]})

    def log_message(self, fmt, *args):
        # method and resource type only: ids and query strings identify patients
        parts = self.path.split("?", 1)[0].split("/")
        sys.stderr.write("%s /%s\n" % (self.command, "/".join(parts[1:3])))


def stop(*_):
    raise KeyboardInterrupt


def main():
    srv = HTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
    signal.signal(signal.SIGTERM, stop)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.server_close()


if __name__ == "__main__":
    main()

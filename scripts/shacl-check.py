#!/usr/bin/env python3
"""Validates RDF documents against the DCAT-AP.de 3.0 SHACL shapes the way GovData's validator
applies them (see ../shared/data/dcat-ap-de-shacl/SOURCES.md): data graph = the documents;
shapes = dcat-ap-SHACL.ttl + dcat-ap-SHACL-DE.ttl + dcat-ap-spec-german-additions.ttl +
dcat-ap-de-deprecated.ttl; ontology graph = vcard.ttl + foaf.rdf; RDFS inference. pySHACL
(PyPI) is the judge, independent of ORDP. Prints, as JSON, the number of results of each
severity and every result (severity, focus node, path, message, shape).

    shacl-check.py SHAPES_DIR turtle:export.ttl [json-ld:export.jsonld ...]
"""
import json
import os
import sys

import rdflib
from pyshacl import validate
from rdflib.namespace import SH

SHAPES = [
    "dcat-ap-SHACL.ttl",
    "dcat-ap-SHACL-DE.ttl",
    "dcat-ap-spec-german-additions.ttl",
    "dcat-ap-de-deprecated.ttl",
]
ONTOLOGIES = [("vcard.ttl", "turtle"), ("foaf.rdf", "xml")]


def main() -> None:
    shapes_dir = sys.argv[1]
    shapes = rdflib.Graph()
    for name in SHAPES:
        shapes.parse(os.path.join(shapes_dir, name), format="turtle")
    ontology = rdflib.Graph()
    for name, fmt in ONTOLOGIES:
        ontology.parse(os.path.join(shapes_dir, name), format=fmt)
    reports = []
    for spec in sys.argv[2:]:
        fmt, path = spec.split(":", 1)
        data = rdflib.Graph()
        data.parse(path, format=fmt)
        _, results, _ = validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="rdfs",
            abort_on_first=False,
            allow_infos=True,
            allow_warnings=True,
        )
        counts = {"Violation": 0, "Warning": 0, "Info": 0}
        found = []
        for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
            severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
            counts[severity] = counts.get(severity, 0) + 1
            found.append({
                "severity": severity,
                "focus": str(results.value(result, SH.focusNode)),
                "path": str(results.value(result, SH.resultPath)),
                "message": str(results.value(result, SH.resultMessage)),
                "shape": str(results.value(result, SH.sourceShape)),
            })
        found.sort(key=lambda r: (r["severity"], r["message"], r["focus"]))
        reports.append({"document": spec, "triples": len(data), "counts": counts, "results": found})
    print(json.dumps(reports))


if __name__ == "__main__":
    main()

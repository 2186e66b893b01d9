#!/usr/bin/env python3
"""Parses RDF documents with rdflib (an RDF library independent of ORDP) and prints what the
catalogue tests check, as JSON: triple counts, whether all documents hold the same graph,
literals whose lexical form does not fit their datatype, and every dcat:Dataset with its
properties.

    rdf-check.py turtle:export.ttl json-ld:export.jsonld
"""
import json
import sys

import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF


def main() -> None:
    graphs = []
    for spec in sys.argv[1:]:
        fmt, path = spec.split(":", 1)
        graph = rdflib.Graph()
        graph.parse(path, format=fmt)
        graphs.append(graph)
    first = graphs[0]
    ill_typed = sorted(
        str(o) for g in graphs for o in g.objects() if isinstance(o, rdflib.Literal) and o.ill_typed
    )
    datasets = {}
    for subject in first.subjects(RDF.type, DCAT.Dataset):
        identifier = str(first.value(subject, DCTERMS.identifier))
        properties = {}
        for predicate, obj in first.predicate_objects(subject):
            properties.setdefault(first.qname(predicate), []).append(str(obj))
        for values in properties.values():
            values.sort()
        distributions = []
        for distribution in first.objects(subject, DCAT.distribution):
            entry = {}
            for predicate, obj in first.predicate_objects(distribution):
                entry.setdefault(first.qname(predicate), []).append(str(obj))
            distributions.append(entry)
        properties["distributions"] = distributions
        datasets[identifier] = properties
    catalogues = [str(s) for s in first.subjects(RDF.type, DCAT.Catalog)]
    print(json.dumps({
        "triples": [len(g) for g in graphs],
        "isomorphic": all(isomorphic(first, g) for g in graphs[1:]),
        "ill_typed": ill_typed,
        "catalogues": catalogues,
        "catalogue_datasets": sorted(str(o) for o in first.objects(None, DCAT.dataset)),
        "datasets": datasets,
    }))


if __name__ == "__main__":
    main()

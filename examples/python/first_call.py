"""An integrator's first calls through the gateway, in Python: log in, search the catalogue,
read the latest values of a town's sensors, and export its datasets as Turtle.

    python first_call.py --port 7443 --ca .ordp/dev/pki/ca.pem \\
        --username soest.editor --password-file .ordp/dev/demo-password --town soest
"""

import argparse

from ordp.analytics.v1 import analytics_pb2
from ordp.catalogue.v1 import catalogue_pb2
from ordp.identity.v1 import identity_pb2
from ordp_wire import Connection, RPCError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7443)
    parser.add_argument("--ca", default=".ordp/dev/pki/ca.pem")
    parser.add_argument("--server-name", default="localhost")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--town", default="soest")
    args = parser.parse_args()

    connection = Connection(args.host, args.port, args.ca, args.server_name)
    try:
        password = open(args.password_file).read().strip()
        tokens = connection.unary(
            "/ordp.identity.v1.Identity/Login",
            identity_pb2.LoginRequest(username=args.username, password=password),
            identity_pb2.TokenResponse)
        print(f"logged in as {tokens.subject} ({' '.join(tokens.scopes)})")
        auth = {"authorization": f"Bearer {tokens.access_token}"}

        found = connection.unary(
            "/ordp.catalogue.v1.Catalogue/Search",
            catalogue_pb2.SearchRequest(publishers=[args.town], page_size=5),
            catalogue_pb2.SearchResponse, auth)
        print(f"{found.total} datasets of {args.town}")
        for hit in found.hits:
            print(f"  {hit.dataset.publisher}/{hit.dataset.slug}: {hit.dataset.title}")

        latest = connection.unary(
            "/ordp.analytics.v1.Analytics/Latest",
            analytics_pb2.LatestRequest(streams=analytics_pb2.StreamSelector(owners=[args.town])),
            analytics_pb2.LatestResponse, auth)
        for value in latest.values:
            print(f"  latest {value.datastream_id}: {value.result} at {value.time_micros}")

        turtle = b"".join(
            chunk.data for chunk in connection.call(
                "/ordp.catalogue.v1.Catalogue/Export",
                catalogue_pb2.ExportRequest(publisher=args.town,
                                            format=catalogue_pb2.EXPORT_FORMAT_TURTLE),
                catalogue_pb2.ExportChunk, auth))
        print(f"export: {len(turtle)} bytes of Turtle, {turtle.count(b'a dcat:Dataset')} datasets")

        try:
            connection.unary("/ordp.identity.v1.Identity/GetOrganisation",
                             identity_pb2.GetOrganisationRequest(id="atlantis"),
                             identity_pb2.Organisation)
        except RPCError as error:
            print(f"as expected: {error}")
    finally:
        connection.close()


if __name__ == "__main__":
    main()

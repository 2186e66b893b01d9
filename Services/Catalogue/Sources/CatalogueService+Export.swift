import Foundation
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

extension CatalogueService {
  /// Bytes of document text gathered before a chunk is written.
  static let exportChunkBytes = 64 * 1024
  /// Datasets read from the store per page.
  static let exportPageSize = 500

  /// Streams the catalogue (or one town) as DCAT-AP.de in Turtle, JSON-LD or RDF/XML: every dataset the
  /// caller may see, not withdrawn, as of the feed position when the export began — one
  /// consistent state however many writes happen while it streams.
  public func export(
    request: Ordp_Catalogue_V1_ExportRequest,
    responses: RPCResponseWriter<Ordp_Catalogue_V1_ExportChunk>, context: ServerContext
  ) async throws {
    try await exports.run(caller: context.principal?.subject, "export") {
      try await export(request, responses: responses, context: context)
    }
  }

  private func export(
    _ request: Ordp_Catalogue_V1_ExportRequest,
    responses: RPCResponseWriter<Ordp_Catalogue_V1_ExportChunk>, context: ServerContext
  ) async throws {
    let publisher = request.publisher.isEmpty ? nil : request.publisher
    if let publisher, let problem = OrganisationID.problem(publisher) {
      throw RPCError(.invalidArgument, "publisher: \(problem)")
    }
    let format: ExportSerializer
    switch request.format {
    case .turtle: format = .turtle(TurtleWriter())
    case .jsonLd: format = .jsonLD(JSONLDWriter())
    case .rdfXml: format = .rdfXML(RDFXMLWriter())
    case .UNRECOGNIZED(let value):
      throw RPCError(.invalidArgument, "format: \(value) is not a known export format")
    }
    // A part of a document a gateway joins from several partitions: only the first part
    // begins it, only the last ends it, blank nodes labelled per part.
    guard request.partCount <= 1000, request.part <= request.partCount,
      (request.part == 0) == (request.partCount == 0)
    else {
      throw RPCError(
        .invalidArgument, "part, part_count: need 1 ≤ part ≤ part_count ≤ 1000, or both 0")
    }
    let begins = request.part <= 1
    let ends = request.part == request.partCount
    let position = try await store.latestPosition()
    var mapping = DCATMapping(
      baseIRI: baseIRI, towns: await towns(), contributorID: contributorID)
    if request.part > 0 { mapping.blankPrefix = "p\(request.part)b" }
    let catalogue = mapping.catalogueIRI(publisher: publisher)
    var buffer = begins ? format.header() : ""
    var nodeCount = begins ? 0 : 1
    func append(_ node: RDFNode) {
      buffer += format.node(node, first: nodeCount == 0)
      nodeCount += 1
    }
    func flush(force: Bool) async throws {
      guard force || buffer.utf8.count >= Self.exportChunkBytes, !buffer.isEmpty else { return }
      var chunk = Ordp_Catalogue_V1_ExportChunk()
      chunk.data = Data(buffer.utf8)
      buffer = ""
      try await responses.write(chunk)
    }
    if begins { for node in mapping.catalogue(publisher: publisher) { append(node) } }
    var after = ""
    while true {
      try Task.checkCancellation()
      // Checked again per page: an export of the whole region runs for minutes.
      let principal = try await context.recheckPrincipal()
      let page = try await store.snapshot(
        at: position, publisher: publisher, afterID: after, limit: Self.exportPageSize)
      for dataset in page.datasets
      where !dataset.withdrawn && CatalogueAccess.canRead(dataset, principal) {
        for node in mapping.nodes(dataset, catalogue: catalogue) { append(node) }
        try await flush(force: false)
      }
      guard let next = page.nextAfterID else { break }
      after = next
    }
    if ends { buffer += format.footer() }
    try await flush(force: true)
  }
}

/// The export formats behind one face.
enum ExportSerializer {
  case turtle(TurtleWriter)
  case jsonLD(JSONLDWriter)
  case rdfXML(RDFXMLWriter)

  func header() -> String {
    switch self {
    case .turtle(let writer): writer.header()
    case .jsonLD(let writer): writer.header()
    case .rdfXML(let writer): writer.header()
    }
  }

  func node(_ node: RDFNode, first: Bool) -> String {
    switch self {
    case .turtle(let writer): writer.node(node)
    case .jsonLD(let writer): writer.node(node, first: first)
    case .rdfXML(let writer): writer.node(node)
    }
  }

  func footer() -> String {
    switch self {
    case .turtle(let writer): writer.footer()
    case .jsonLD(let writer): writer.footer()
    case .rdfXML(let writer): writer.footer()
    }
  }
}
